/**
 * Write tokens (BEP 5): a `get_peers` (or BEP 44 `get`) answer carries a token that the
 * requester must return in its `announce_peer` (or `put`) from the same IP. A token is the
 * first 8 bytes of SHA-1(secret, IP, target); the secret rotates every 5 minutes and the
 * previous one is still accepted, so a token lives 5 to 10 minutes. No timer: rotation
 * happens when a token is made or checked after the interval.
 */
import { createHash } from 'node:crypto';
import { binaryString, type NodeId } from './node-id.js';

export const TOKEN_ROTATE_MS = 5 * 60_000;
const TOKEN_BYTES = 8;
const SECRET_BYTES = 16;

/** Where secrets come from: a function, or a `Random` (no closure a node: a big simulation has a million). */
export type SecretSource = ((n: number) => Uint8Array) | { bytes(n: number): Uint8Array };

export class TokenManager {
  private readonly source: SecretSource;
  private readonly rotateMs: number;
  /** The secrets as latin1 strings (two typed arrays cost ~400 bytes a node in a big simulation). */
  private current: string;
  private previous: string;
  private rotatedAt: number;

  constructor(source: SecretSource, now: number, rotateMs = TOKEN_ROTATE_MS) {
    this.source = source;
    this.rotateMs = rotateMs;
    this.current = this.secret();
    this.previous = this.secret();
    this.rotatedAt = now;
  }

  /** The token for a requester's IP and a target (info hash or BEP 44 target). */
  make(host: string, target: NodeId, now: number): Uint8Array {
    this.rotate(now);
    return token(this.current, host, target);
  }

  check(tokenBytes: Uint8Array, host: string, target: NodeId, now: number): boolean {
    this.rotate(now);
    if (tokenBytes.length !== TOKEN_BYTES) return false;
    return equal(tokenBytes, token(this.current, host, target)) || equal(tokenBytes, token(this.previous, host, target));
  }

  private rotate(now: number): void {
    if (now - this.rotatedAt < this.rotateMs) return;
    // After a long quiet spell both secrets are stale.
    this.previous = now - this.rotatedAt < 2 * this.rotateMs ? this.current : this.secret();
    this.current = this.secret();
    this.rotatedAt = now;
  }

  private secret(): string {
    const s = this.source;
    return binaryString(typeof s === 'function' ? s(SECRET_BYTES) : s.bytes(SECRET_BYTES));
  }
}

function token(secret: string, host: string, target: NodeId): Uint8Array {
  const h = createHash('sha1');
  h.update(secret, 'latin1');
  h.update(host, 'latin1');
  h.update(target, 'latin1');
  return h.digest().subarray(0, TOKEN_BYTES);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
