import { randomUUID } from 'node:crypto';
import { type EventEnvelope, type NewEvent, newEvent } from '@neurocards/contracts';

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
