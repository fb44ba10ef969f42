export * from './catalog.js';
export * from './common.js';
export * as creditEvents from './credits.js';
export * from './envelope.js';
export * as jobEvents from './jobs.js';
export { PRODUCT_DESCRIPTION_MAX, WISHES_MAX } from './jobs.js';
export * from './names.js';
export * from './parse.js';
export * as userEvents from './users.js';
