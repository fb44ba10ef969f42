export * from './config.js';
export * from './context.js';
export * from './http-server.js';
export * from './logger.js';
export * from './loop-worker.js';
export * from './metrics.js';
export * from './service.js';
