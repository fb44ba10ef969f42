import { randomUUID } from 'node:crypto';
import {
  type AnyNewEvent,
  type EventEnvelope,
  type NewEvent,
  newEvent,
  streamIds,
} from '@neurocards/contracts';
import type { EventStore } from '../event-store/index.js';
import { waitFor } from './waiting.js';

export interface OrderOptions {
  userId: number;
  /** Videos in the order (1–5); one GenerationRequested per job. */
  size?: number;
  product?: string;
  photo?: { fileId: string; fileUniqueId: string };
  cost?: number;
  language?: 'ru' | 'en';
  model?: string;
  wishes?: string | null;
}

/** The GenerationRequested events of one order, as the gateway appends them (one per job stream). */
export function orderRequests(options: OrderOptions): NewEvent<'GenerationRequested'>[] {
  const orderId = randomUUID();
  const jobIds = Array.from({ length: options.size ?? 1 }, () => randomUUID());
  return jobIds.map((jobId) =>
    newEvent(
      'GenerationRequested',
      {
        jobId,
        orderId,
        orderJobIds: jobIds,
        userId: options.userId,
        chatId: options.userId,
        language: options.language ?? 'en',
        photo: options.photo ?? { fileId: 'photo-file-id', fileUniqueId: 'photo-unique-id' },
        product: options.product ?? 'Ceramic mug, 350 ml',
        templateId: 'studio',
        wishes: options.wishes ?? null,
        model: options.model ?? 'kling-2.6/image-to-video',
        cost: options.cost ?? 1,
      },
      { correlationId: jobId },
    ),
  );
}

/** A stored copy of a new event, with the stream and version the store would give it. */
export function asStored<T extends NewEvent>(event: T, streamId: string, streamVersion: number) {
  return { ...event, streamId, streamVersion } as unknown as EventEnvelope<T['type']>;
}

export interface SellerOptions {
  /** Credits granted by an admin on top of the free ones (default 1000). */
  credits?: number;
  language?: 'ru' | 'en';
}

/**
 * Registers a seller and grants them credits as an admin would, then waits until billing has credited
 * them: billing reads grants and orders on separate consumers, and an order seen first would be rejected
 * for want of credits. Needs billing running on the store's database.
 */
export async function registerSeller(store: EventStore, userId: number, options: SellerOptions = {}) {
  const credits = options.credits ?? 1000;
  const events: AnyNewEvent[] = [
    newEvent(
      'UserRegistered',
      {
        userId,
        chatId: userId,
        username: null,
        firstName: 'Seller',
        language: options.language ?? 'en',
        referrerId: null,
      },
      { correlationId: streamIds.user(userId) },
    ),
  ];
  if (credits > 0)
    events.push(
      newEvent(
        'CreditsGrantRequested',
        { userId, adminId: 1, amount: credits, reason: 'tests' },
        { correlationId: streamIds.user(userId) },
      ),
    );
  await store.append(streamIds.user(userId), events, { expectedVersion: 'no_stream' });
  const granted = credits > 0 ? 'CreditsGranted' : 'FreeCreditsGranted';
  await waitFor(`the credits of seller ${userId}`, async () =>
    (await store.readStream(streamIds.credits(userId))).some((event) => event.type === granted),
  );
}
