import { randomUUID } from 'node:crypto';
import { type DomainEvent, newEvent, streamIds } from '@neurocards/contracts';
import type { EventStore } from '@neurocards/runtime/event-store';

/** Registers a seller with plenty of credits, so billing reserves every job the tests order. */
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
}

/** Orders one video of `product` with the given photo; returns the job id. */
export async function orderVideo(
  store: EventStore,
  userId: number,
  photo: { file_id: string; file_unique_id: string },
  product = 'Ceramic mug, 350 ml',
): Promise<string> {
  const jobId = randomUUID();
  await store.append(
    streamIds.job(jobId),
    [
      newEvent(
        'GenerationRequested',
        {
          jobId,
          orderId: randomUUID(),
          orderJobIds: [jobId],
          userId,
          chatId: userId,
          language: 'en',
          photo: { fileId: photo.file_id, fileUniqueId: photo.file_unique_id },
          product,
          templateId: 'studio',
          wishes: 'warm light',
          model: 'kling-2.6/image-to-video',
          cost: 1,
        },
        { correlationId: jobId },
      ),
    ],
    { expectedVersion: 'no_stream' },
  );
  return jobId;
}

export const terminal = (events: readonly DomainEvent[]) =>
  events.filter((e) => e.type === 'VideoReady' || e.type === 'GenerationFailed');
