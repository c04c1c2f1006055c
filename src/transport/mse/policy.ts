/**
 * The encryption policy a session runs with, and what it means for each side of the MSE
 * handshake:
 *
 * - `prefer` (default): accept plaintext and encrypted connections; dial encrypted first
 *   (offering RC4 and plaintext payload, the receiver picks) and fall back to plaintext,
 *   remembering per peer what worked. As receiver, select RC4 when offered.
 * - `require`: encrypted connections only, RC4 for the whole stream (plaintext handshakes are
 *   refused, and so is an initiator offering only the plaintext method).
 * - `plaintext`: never encrypt; incoming MSE handshakes are refused.
 */
import type { MseMethod } from './constants.js';
import type { MseLimits } from './handshake.js';

export type EncryptionPolicy = 'prefer' | 'require' | 'plaintext';
export const ENCRYPTION_POLICIES: readonly EncryptionPolicy[] = ['prefer', 'require', 'plaintext'];
export const DEFAULT_ENCRYPTION_POLICY: EncryptionPolicy = 'prefer';

export interface EncryptionOptions extends MseLimits {
  readonly policy: EncryptionPolicy;
  /**
   * Where DH private keys come from (default: the runtime's seeded random source, which keeps
   * simulations replayable; the CLI and daemon pass `node:crypto`'s `randomBytes`).
   */
  readonly secretBytes?: (n: number) => Uint8Array;
}

/** crypto_provide when we dial. */
export function providedMethods(policy: EncryptionPolicy): MseMethod[] {
  return policy === 'require' ? ['rc4'] : ['rc4', 'plaintext'];
}

/** Methods we select from an initiator's crypto_provide, most wanted first. */
export function acceptedMethods(policy: EncryptionPolicy): MseMethod[] {
  return policy === 'require' ? ['rc4'] : policy === 'prefer' ? ['rc4', 'plaintext'] : [];
}

export function parseEncryptionPolicy(s: string): EncryptionPolicy | undefined {
  return (ENCRYPTION_POLICIES as readonly string[]).includes(s) ? (s as EncryptionPolicy) : undefined;
}

/**
 * How a connection's stream is encrypted: `rc4` (everything), `plaintext` (MSE handshake,
 * plaintext payload) or `undefined` (no MSE). For peer lists (qBittorrent's E and e flags).
 */
export function encryptionOf(stream: object): MseMethod | undefined {
  const method = (stream as { method?: unknown }).method;
  return method === 'rc4' || method === 'plaintext' ? method : undefined;
}
