/**
 * Known peer addresses for one torrent: where they came from, when to try them again, and
 * which are banned. Decides whom to dial next within the connection limits.
 */
import { formatAddress, type Address } from '../runtime/types.js';

export type PeerSource = 'manual' | 'incoming' | 'pex' | 'dht' | 'tracker' | 'magnet';

interface Candidate {
  readonly address: Address;
  source: PeerSource;
  failures: number;
  nextAttemptAt: number;
  connected: boolean;
}

export interface PeerPoolOptions {
  /** Known addresses kept at most (default 2000). */
  maxCandidates?: number;
  /** Failures after which an address is forgotten (default 5; manual peers are kept). */
  maxFailures?: number;
  /** First retry delay; doubles with each failure (default 5 s). */
  retryBaseMs?: number;
}

export class PeerPool {
  private readonly candidates = new Map<string, Candidate>();
  private readonly banned = new Set<string>();
  private readonly o: Required<PeerPoolOptions>;

  constructor(options: PeerPoolOptions = {}) {
    this.o = { maxCandidates: 2000, maxFailures: 5, retryBaseMs: 5000, ...options };
  }

  static key(a: Address): string {
    return formatAddress(a);
  }

  add(address: Address, source: PeerSource): void {
    const k = PeerPool.key(address);
    if (this.banned.has(k) || this.candidates.has(k)) return;
    if (this.candidates.size >= this.o.maxCandidates && source !== 'manual') return;
    if (address.port <= 0 || address.port > 65535) return;
    this.candidates.set(k, { address, source, failures: 0, nextAttemptAt: 0, connected: false });
  }

  isBanned(address: Address | string): boolean {
    return this.banned.has(typeof address === 'string' ? address : PeerPool.key(address));
  }

  /** Bans by IP and port for the session: never dialled or accepted again. */
  ban(address: Address): void {
    const k = PeerPool.key(address);
    this.banned.add(k);
    this.candidates.delete(k);
  }

  get bannedCount(): number {
    return this.banned.size;
  }

  markConnected(address: Address, connected: boolean): void {
    const c = this.candidates.get(PeerPool.key(address));
    if (c) {
      c.connected = connected;
      if (connected) c.failures = 0;
    }
  }

  /** A dial failed or a connection ended early: back off exponentially. */
  markFailed(address: Address, now: number): void {
    const k = PeerPool.key(address);
    const c = this.candidates.get(k);
    if (!c) return;
    c.connected = false;
    c.failures++;
    if (c.failures >= this.o.maxFailures && c.source !== 'manual') {
      this.candidates.delete(k);
      return;
    }
    c.nextAttemptAt = now + this.o.retryBaseMs * 2 ** Math.min(c.failures - 1, 6);
  }

  /** Addresses to dial now (not connected, not banned, due), up to `count`. */
  due(now: number, count: number, isConnected: (key: string) => boolean): Address[] {
    const out: Address[] = [];
    for (const [k, c] of this.candidates) {
      if (out.length >= count) break;
      if (c.connected || c.nextAttemptAt > now || isConnected(k)) continue;
      out.push(c.address);
      c.connected = true; // in progress; markFailed or markConnected settles it
    }
    return out;
  }

  get size(): number {
    return this.candidates.size;
  }
}
