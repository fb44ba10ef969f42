export * from './bus/index.js';
export * from './event-store/index.js';
export * from './shell/index.js';
