export * from './batches.js';
export * from './checkpoints.js';
export * from './errors.js';
export * from './event-store.js';
export * from './migrations.js';
export * from './postgres.js';
export * from './schema.js';
