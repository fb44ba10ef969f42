export * from './files/index.js';
export * from './fixtures.js';
export * from './kie/index.js';
export * from './openai/index.js';
export * from './shared/fakeHttpServer.js';
export * from './shared/multipartUpload.js';
export * from './shared/seededRandom.js';
export * from './telegram/index.js';
