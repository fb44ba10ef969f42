import { type DomainEvent, newEvent, streamIds } from '@neurocards/contracts';
import type { EventStore } from '@neurocards/runtime/event-store';
import { orderRequests, waitFor } from '@neurocards/runtime/testing';

/**
 * Registers a seller with plenty of credits, so billing reserves every job the tests order, and waits for
 * the grant: billing reads grants and orders on separate consumers, and an order seen first would be
 * rejected for want of credits.
 */
export async function richSeller(store: EventStore, userId: number): Promise<void> {
  await store.append(
    streamIds.user(userId),
    [
      newEvent(
        'UserRegistered',
        { userId, chatId: userId, username: null, firstName: 'Seller', language: 'en', referrerId: null },
        { correlationId: streamIds.user(userId) },
      ),
      newEvent(
        'CreditsGrantRequested',
        { userId, adminId: 1, amount: 1000, reason: 'tests' },
        { correlationId: `u${userId}` },
      ),
    ],
    { expectedVersion: 'no_stream' },
  );
  await waitFor('the credits grant', async () =>
    (await store.readStream(streamIds.credits(userId))).some((event) => event.type === 'CreditsGranted'),
  );
}

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
