export * from './errors.js';
export * from './natpmp-codec.js';
export * from './pcp-codec.js';
export * from './port-mapper.js';
export * from './upnp-codec.js';
export * from './upnp-http.js';
export * from './upnp-mapper.js';
export * from './nat-manager.js';
