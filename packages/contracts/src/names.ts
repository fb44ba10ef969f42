import type { EventType } from './catalog.js';

/** Stream ids: small streams per user, job and payment keep append conflicts rare. */
export const streamIds = {
  credits: (userId: number) => `credits-${userId}`,
  job: (jobId: string) => `job-${jobId}`,
  user: (userId: number) => `user-${userId}`,
  payment: (chargeId: string) => `payment-${chargeId}`,
} as const;

/** The category of a stream id: the part before the first dash (`credits`, `job`, `user`, `payment`). */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

/**
 * JetStream names derived from one prefix, so that test runs and a started system never share a stream.
 * The production prefix is `nc`.
 */
export function busNames(prefix: string) {
  if (!/^[a-z][a-z0-9_]*$/.test(prefix)) {
    throw new Error(`bus prefix must match [a-z][a-z0-9_]*, got ${JSON.stringify(prefix)}`);
  }
  return {
    prefix,
    /** Limits-retention stream holding every domain event. */
    eventStream: `${prefix.toUpperCase()}_EVENTS`,
    /** Stream holding parked (dead-lettered) messages with their reasons. */
    deadLetterStream: `${prefix.toUpperCase()}_DLQ`,
    eventSubject: (type: EventType | string) => `${prefix}.evt.${type}`,
    allEventsSubject: `${prefix}.evt.>`,
    deadLetterSubject: (consumer: string) => `${prefix}.dlq.${consumer}`,
    allDeadLettersSubject: `${prefix}.dlq.>`,
    /** One durable consumer per service and event type, shared by the service's replicas. */
    durableName: (service: string, type: EventType | string) => `${service}--${type}`,
  };
}

export type BusNames = ReturnType<typeof busNames>;
