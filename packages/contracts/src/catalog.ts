import type { z } from 'zod';
import * as credits from './credits.js';
import * as jobs from './jobs.js';
import * as users from './users.js';

/**
 * Every event type with the schema of its `data` and the schema version writers produce today.
 * A reader accepts versions up to `schemaVersion`; a newer one is a deployment-order problem and is parked.
 */
export const eventCatalog = {
  // credits-<userId>
  FreeCreditsGranted: { schemaVersion: 1, data: credits.FreeCreditsGranted },
  CreditReserved: { schemaVersion: 1, data: credits.CreditReserved },
  CreditReservationRejected: { schemaVersion: 1, data: credits.CreditReservationRejected },
  CreditCaptured: { schemaVersion: 1, data: credits.CreditCaptured },
  CreditRefunded: { schemaVersion: 1, data: credits.CreditRefunded },
  CreditsPurchased: { schemaVersion: 1, data: credits.CreditsPurchased },
  CreditsGranted: { schemaVersion: 1, data: credits.CreditsGranted },
  PaymentRefunded: { schemaVersion: 1, data: credits.PaymentRefunded },
  PaymentRefundRefused: { schemaVersion: 1, data: credits.PaymentRefundRefused },
  CreditCaptureWaived: { schemaVersion: 1, data: credits.CreditCaptureWaived },
  ReferralBonusGranted: { schemaVersion: 1, data: credits.ReferralBonusGranted },
  // job-<jobId>
  GenerationRequested: { schemaVersion: 1, data: jobs.GenerationRequested },
  PromptPrepared: { schemaVersion: 1, data: jobs.PromptPrepared },
  GenerationSubmitted: { schemaVersion: 1, data: jobs.GenerationSubmitted },
  GenerationAttemptFailed: { schemaVersion: 1, data: jobs.GenerationAttemptFailed },
  VideoReady: { schemaVersion: 1, data: jobs.VideoReady },
  GenerationFailed: { schemaVersion: 1, data: jobs.GenerationFailed },
  DeliveryAttemptFailed: { schemaVersion: 1, data: jobs.DeliveryAttemptFailed },
  VideoDelivered: { schemaVersion: 1, data: jobs.VideoDelivered },
  DeliveryFailed: { schemaVersion: 1, data: jobs.DeliveryFailed },
  DeliveryRetryRequested: { schemaVersion: 1, data: jobs.DeliveryRetryRequested },
  VideoRedelivered: { schemaVersion: 1, data: jobs.VideoRedelivered },
  // user-<userId>
  UserRegistered: { schemaVersion: 1, data: users.UserRegistered },
  UserBanned: { schemaVersion: 1, data: users.UserBanned },
  UserUnbanned: { schemaVersion: 1, data: users.UserUnbanned },
  LanguageChanged: { schemaVersion: 1, data: users.LanguageChanged },
  CreditsGrantRequested: { schemaVersion: 1, data: users.CreditsGrantRequested },
  // payment-<chargeId>
  PaymentReceived: { schemaVersion: 1, data: users.PaymentReceived },
  PaymentRefundRequested: { schemaVersion: 1, data: users.PaymentRefundRequested },
} as const satisfies Record<string, { schemaVersion: number; data: z.ZodType }>;

export type EventType = keyof typeof eventCatalog;
export type EventData<T extends EventType> = z.infer<(typeof eventCatalog)[T]['data']>;

export const eventTypes = Object.keys(eventCatalog) as EventType[];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(eventCatalog, value);
}
