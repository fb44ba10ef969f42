export * from './fakeOpenAI.js';
export { sampleFromJsonSchema } from './jsonSchemaSample.js';
export * from './openaiFaults.js';
export type { OpenAIApi, OpenAIRequest } from './openaiRequests.js';
