/**
 * A peer that sends but does not read. Every answer its messages draw (a BEP 6 reject for
 * each cancel of a request we took, a BEP 52 hash reject, a reject past our `reqq`) waits in
 * our connection and the stream until it reads. Uploads stop at `maxQueuedUploadBytes`, but
 * those answers did not: a peer flooding request + cancel pairs and reading nothing had us
 * keep 17 bytes for every 34 it sent, for as long as it kept the connection. Past
 * `maxUnsentBytes` unsent bytes, a message from it closes the connection (libtorrent's
 * counterpart is its send buffer watermark: it stops reading from such a peer).
 */
import { DEFAULT_MAX_UNSENT_BYTES } from './defaults.js';
import type { SwarmOptions } from './types.js';

/** Why a peer with `queuedUploadBytes` unsent must go, or undefined while it is within the limit. */
export function unsentOverLimit(peer: { readonly queuedUploadBytes: number }, o: Pick<SwarmOptions, 'maxUnsentBytes'>): string | undefined {
  const max = o.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES;
  const unsent = peer.queuedUploadBytes;
  return unsent > max ? `does not read: ${unsent} bytes unsent (limit ${max})` : undefined;
}
