import { type DomainEvent, streamIds } from '@neurocards/contracts';
import type { EventStore } from '@neurocards/runtime/event-store';
import { orderRequests, registerSeller } from '@neurocards/runtime/testing';

/** A seller with plenty of credits, so billing reserves every job the tests order. */
export const richSeller = (store: EventStore, userId: number) => registerSeller(store, userId);

/** Orders one video of `product` with the given photo; returns the job id. */
export async function orderVideo(
  store: EventStore,
  userId: number,
  photo: { file_id: string; file_unique_id: string },
  product = 'Ceramic mug, 350 ml',
): Promise<string> {
  const [request] = orderRequests({
    userId,
    product,
    wishes: 'warm light',
    photo: { fileId: photo.file_id, fileUniqueId: photo.file_unique_id },
  });
  if (!request) throw new Error('no request');
  await store.append(streamIds.job(request.data.jobId), [request], { expectedVersion: 'no_stream' });
  return request.data.jobId;
}

export const terminal = (events: readonly DomainEvent[]) =>
  events.filter((e) => e.type === 'VideoReady' || e.type === 'GenerationFailed');
