/**
 * Numbers of Message Stream Encryption (the "MSE/PE" document of Azureus and uTorrent, 2006,
 * spoken by libtorrent, Transmission, qBittorrent, aria2 and WebTorrent). There is no BEP.
 */
import { createHash } from 'node:crypto';

/** Bit of `crypto_provide` / `crypto_select`: the payload stream stays plaintext after the handshake. */
export const CRYPTO_PLAINTEXT = 0x01;
/** Bit of `crypto_provide` / `crypto_select`: the payload stream is RC4-encrypted. */
export const CRYPTO_RC4 = 0x02;
/** The verification constant: 8 zero bytes, sent encrypted so each side can find the other's cipher start. */
export const VC_LENGTH = 8;
/** Longest PadA/PadB/PadC/PadD the document allows; also the window in which a sync marker must appear. */
export const MAX_PAD_LENGTH = 512;
/** Keystream bytes both RC4 ciphers throw away first (RC4-drop1024). */
export const RC4_DISCARD = 1024;

export type MseMethod = 'rc4' | 'plaintext';

export function methodBit(m: MseMethod): number {
  return m === 'rc4' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT;
}

const ASCII = new TextEncoder();

/** SHA-1 over the ASCII tag and the given parts: HASH('req1', S), HASH('keyA', S, SKEY), ... */
export function hashOf(tag: 'req1' | 'req2' | 'req3' | 'keyA' | 'keyB', ...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha1').update(ASCII.encode(tag));
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** HASH('req2', SKEY): what a receiver looks a torrent up by (after XORing out HASH('req3', S)). */
export function req2Hash(skey: Uint8Array): Uint8Array {
  return hashOf('req2', skey);
}
