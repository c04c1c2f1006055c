/** The peer wire layer: codecs (leaves) and the sans-I/O connection state machine. See docs/wire.md. */
export * from './errors.js';
export * from './handshake.js';
export * from './messages.js';
export * from './decoder.js';
export * from './bitfield.js';
export * from './compact.js';
export * from './extension.js';
export * from './ut-metadata.js';
export * from './metadata-fetcher.js';
export * from './ut-pex.js';
export * from './hash-messages.js';
export * from './fast-set.js';
export type { OutgoingFrame, Framing } from './outbox.js';
export * from './peer-types.js';
export { PeerConnection } from './peer-connection.js';
export * from './ut-holepunch.js';
