// Callback data of the inline buttons that delivery puts under its messages and the gateway answers.
// Telegram limits callback data to 64 bytes; a job id is 36.

export const callbackData = {
  buyCredits: 'buy',
  menu: 'menu',
  /** "Another one with this product": back to the style choice with the same photo and description. */
  anotherWithProduct: (jobId: string) => `again:${jobId}`,
  /** Try a failed delivery again. */
  retryDelivery: (jobId: string) => `resend:${jobId}`,
} as const;
