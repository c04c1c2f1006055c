/**
 * Stream URLs for the browser (`POST /api/torrents/:id/files/:index/stream-url`): a random
 * 128-bit ticket names one file of one torrent for a few minutes, so a <video> element can
 * play it without the API token in its URL (where it would land in the browser's history and
 * in logs). A ticket is a capability: whoever has it can read that one file until it expires.
 */
import { randomBytes } from 'node:crypto';
import type { TorrentId } from '../types.js';

export interface StreamTicket {
  readonly infoHash: TorrentId;
  readonly index: number;
  /** Wall-clock ms. */
  readonly expiresAt: number;
}

export class StreamTickets {
  /** In issue order (a Map keeps insertion order): the oldest is first to go. */
  private readonly tickets = new Map<string, StreamTicket>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    /** Wall-clock ms (expiresAt is shown to the UI as a date). */
    private readonly now: () => number,
  ) {}

  issue(infoHash: TorrentId, index: number): { ticket: string; expiresAt: number } {
    this.sweep();
    while (this.tickets.size >= this.max) this.tickets.delete(this.tickets.keys().next().value!);
    const ticket = randomBytes(16).toString('hex');
    const expiresAt = this.now() + this.ttlMs;
    this.tickets.set(ticket, { infoHash, index, expiresAt });
    return { ticket, expiresAt };
  }

  /** The file a live ticket names; undefined when unknown or expired. */
  find(ticket: string): StreamTicket | undefined {
    const t = this.tickets.get(ticket);
    if (!t) return undefined;
    if (t.expiresAt <= this.now()) {
      this.tickets.delete(ticket);
      return undefined;
    }
    return t;
  }

  get size(): number {
    return this.tickets.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(k);
  }
}
