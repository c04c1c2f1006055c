export * from './errors.js';
export * from './natpmp-codec.js';
export * from './pcp-codec.js';
export * from './port-mapper.js';
