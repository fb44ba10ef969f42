export * from './fakeKie.js';
export { kieCallbackSignature } from './kieCallbacks.js';
export type { KieSettings } from './kieJobsApi.js';
export * from './kieModels.js';
export type { KieRateLimit } from './kieRateLimit.js';
export type { KieResultVideo } from './kieResultVideo.js';
export type { KieTaskDuration } from './kieTasks.js';
export * from './kieTypes.js';
export type { KieUploadedFile } from './kieUploads.js';
