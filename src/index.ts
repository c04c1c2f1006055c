/** Shoal's library surface. */
export * from './errors.js';
export * as bencode from './bencode/index.js';
export type * from './runtime/types.js';
