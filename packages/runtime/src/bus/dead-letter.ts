import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { BusNames } from '@neurocards/contracts';

/** Headers on a parked message: why, from where, after how many tries. */
export const DEAD_LETTER_HEADERS = {
  reasonCode: 'Nc-Dlq-Reason-Code',
  reason: 'Nc-Dlq-Reason',
  consumer: 'Nc-Dlq-Consumer',
  originalSubject: 'Nc-Dlq-Original-Subject',
  originalSequence: 'Nc-Dlq-Original-Sequence',
  deliveries: 'Nc-Dlq-Deliveries',
  eventId: 'Nc-Dlq-Event-Id',
  parkedAt: 'Nc-Dlq-Parked-At',
} as const;

export type DeadLetterReasonCode =
  | 'MALFORMED'
  | 'UNKNOWN_TYPE'
  | 'UNSUPPORTED_SCHEMA_VERSION'
  | 'HANDLER_FAILED'
  | 'NO_HANDLER';

export interface DeadLetter {
  consumer: string;
  reasonCode: DeadLetterReasonCode;
  reason: string;
  eventId?: string;
}

/**
 * Publishes the message, untouched, to the consumer's dead-letter subject with the reason in headers.
 * Resolves once JetStream has stored it; only then may the original be acknowledged.
 */
export async function parkMessage(js: JetStreamClient, names: BusNames, msg: JsMsg, letter: DeadLetter) {
  const h = headers();
  h.set(DEAD_LETTER_HEADERS.reasonCode, letter.reasonCode);
  // Header values are single-line; keep the reason readable and bounded.
  h.set(DEAD_LETTER_HEADERS.reason, letter.reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
  h.set(DEAD_LETTER_HEADERS.consumer, letter.consumer);
  h.set(DEAD_LETTER_HEADERS.originalSubject, msg.subject);
  h.set(DEAD_LETTER_HEADERS.originalSequence, String(msg.info.streamSequence));
  h.set(DEAD_LETTER_HEADERS.deliveries, String(msg.info.deliveryCount));
  h.set(DEAD_LETTER_HEADERS.parkedAt, new Date().toISOString());
  if (letter.eventId) h.set(DEAD_LETTER_HEADERS.eventId, letter.eventId);
  await js.publish(names.deadLetterSubject(letter.consumer), msg.data, {
    headers: h,
    // One parked copy per original message and consumer, even if parking is retried.
    msgID: `${letter.consumer}:${msg.info.streamSequence}`,
  });
}
