export * from './fakeTelegram.js';
export * from './telegramErrors.js';
export type { RegisterFileInput, StoredFile, TelegramFileKind } from './telegramFiles.js';
export type { StarCharge } from './telegramPayments.js';
export type { TelegramTelemetry } from './telegramTelemetry.js';
export * from './telegramTypes.js';
export type { PaymentFields, PhotoSize } from './telegramUpdateBuilders.js';
export type { WebhookConfig, WebhookDelivery } from './telegramUpdateQueue.js';
export type {
  PreCheckoutOptions,
  SuccessfulPaymentOptions,
  UserDocumentOptions,
  UserPhotoOptions,
} from './telegramUserActions.js';
