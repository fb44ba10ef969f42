export * from './bus.js';
export * from './databases.js';
export * from './events.js';
export * from './waiting.js';
