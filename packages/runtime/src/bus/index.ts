export * from './concurrency.js';
export * from './connection.js';
export * from './dead-letter.js';
export * from './inbox.js';
export * from './jetstream-transport.js';
export * from './relay.js';
export * from './streams.js';
