/**
 * Tells an incoming connection's first bytes apart: a plaintext BitTorrent handshake starts
 * with 19 and "BitTorrent protocol" (BEP 3); anything else is taken for an MSE public key.
 * Decides at the first byte that differs, so an MSE peer is known at once (its 96-byte key
 * starts with 19 once in 256 connections, and then differs within a byte or two).
 */
const PLAIN_HEADER = new Uint8Array([19, ...new TextEncoder().encode('BitTorrent protocol')]);

export type Sniffed = 'plaintext' | 'encrypted' | 'undecided';

export function sniffIncoming(firstBytes: Uint8Array): Sniffed {
  const n = Math.min(firstBytes.length, PLAIN_HEADER.length);
  for (let i = 0; i < n; i++) if (firstBytes[i] !== PLAIN_HEADER[i]) return 'encrypted';
  return n === PLAIN_HEADER.length ? 'plaintext' : 'undecided';
}
