/** Message Stream Encryption (MSE/PE): see docs/encryption.md. */
export { Rc4 } from './rc4.js';
export { DH_KEY_LENGTH, DH_PRIME_HEX, dhPublicKey, dhSecret } from './dh.js';
export { CRYPTO_PLAINTEXT, CRYPTO_RC4, MAX_PAD_LENGTH, RC4_DISCARD, hashOf, req2Hash, type MseMethod } from './constants.js';
export { MseError, type MseViolation } from './errors.js';
export { MseHandshake, MSE_DEFAULTS, type MseEvent, type MseHandshakeOptions, type MseLimits, type MseCiphers } from './handshake.js';
export { EncryptedStream } from './encrypted-stream.js';
export { IncomingStream, type IncomingEncryptionDeps } from './incoming-stream.js';
export { negotiateMse, type MseResult } from './negotiate.js';
export { sniffIncoming, type Sniffed } from './sniff.js';
export {
  DEFAULT_ENCRYPTION_POLICY, ENCRYPTION_POLICIES, acceptedMethods, encryptionOf, parseEncryptionPolicy, providedMethods,
  type EncryptionOptions, type EncryptionPolicy,
} from './policy.js';
