/**
 * The super-peer overlay's messages (tag 'S'; Gnutella 0.6 ultrapeers in spirit). The
 * super-peers' own overlay reuses the unstructured control messages (CONNECT, ACCEPT,
 * REJECT, BYE, PING, PONG) and QUERY / HIT (`unstructured/messages.ts`) under this tag.
 * After the 3-byte header (tag, type, flags):
 *
 *   GET_SPS       (empty)                                     "which super-peers do you know?"
 *   SPS           count u8 | addresses                         known super-peers
 *   ATTACH        capacity u16 (x10) | uptime u32 (s) | count u16 | count x keyword hash u32
 *   ATTACH_OK     (empty)
 *   ATTACH_FULL   count u8 | addresses                         other super-peers to try
 *   DETACH        (empty)
 *   LEAF_PING     capacity u16 (x10) | uptime u32 (s)
 *   LEAF_PONG     count u8 | addresses                         other super-peers
 *   LEAF_QUERY    guid u48 | hops u8 | len u8 | keyword        to a leaf whose index matches
 *   PROMOTE       (empty)                                      "become a super-peer"
 *
 * The index a leaf uploads is QRP-like: 32-bit FNV-1a hashes of its keywords, so a super-peer
 * learns which leaves may hold a keyword without learning the keywords (false positives are
 * checked by the leaf).
 */
import { ByteReader, OverlayMessageError } from '../common/binary.js';
import { ADDRESS_BYTES, readAddressKey, writeAddressKey } from '../common/addresses.js';
import { startMessage } from '../common/base-node.js';
import { MAX_PEER_LIST } from '../unstructured/messages.js';

export const SUPER_PEER_TAG = 0x53; // 'S'

export const GET_SPS = 20;
export const SPS = 21;
export const ATTACH = 22;
export const ATTACH_OK = 23;
export const ATTACH_FULL = 24;
export const DETACH = 25;
export const LEAF_PING = 26;
export const LEAF_PONG = 27;
export const LEAF_QUERY = 28;
export const PROMOTE = 29;

/** Most keyword hashes a leaf may upload. */
export const MAX_INDEX_ENTRIES = 256;

export function encodeEmpty(type: number): Uint8Array {
  return startMessage(SUPER_PEER_TAG, type, 0, 0).finish();
}

export function encodePeers(type: number, peers: readonly number[]): Uint8Array {
  const n = Math.min(peers.length, MAX_PEER_LIST);
  const w = startMessage(SUPER_PEER_TAG, type, 0, 1 + n * ADDRESS_BYTES).u8(n);
  for (let i = 0; i < n; i++) writeAddressKey(w, peers[i]);
  return w.finish();
}

export function decodePeers(r: ByteReader): number[] {
  const n = r.count8(MAX_PEER_LIST, 'super-peer list');
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(readAddressKey(r));
  r.end();
  return out;
}

export function encodeAttach(capacity: number, uptimeS: number, hashes: Uint32Array): Uint8Array {
  const n = Math.min(hashes.length, MAX_INDEX_ENTRIES);
  const w = startMessage(SUPER_PEER_TAG, ATTACH, 0, 8 + 4 * n).u16(capacityField(capacity)).u32(uptimeS).u16(n);
  for (let i = 0; i < n; i++) w.u32(hashes[i]);
  return w.finish();
}

export function decodeAttach(r: ByteReader): { capacity: number; uptimeS: number; hashes: Uint32Array } {
  const capacity = r.u16() / 10;
  const uptimeS = r.u32();
  const n = r.u16();
  if (n > MAX_INDEX_ENTRIES) throw new OverlayMessageError(`index of ${n} entries, more than ${MAX_INDEX_ENTRIES}`);
  const hashes = new Uint32Array(n);
  for (let i = 0; i < n; i++) hashes[i] = r.u32();
  r.end();
  return { capacity, uptimeS, hashes };
}

export function encodeLeafPing(capacity: number, uptimeS: number): Uint8Array {
  return startMessage(SUPER_PEER_TAG, LEAF_PING, 0, 6).u16(capacityField(capacity)).u32(uptimeS).finish();
}

export function decodeLeafPing(r: ByteReader): { capacity: number; uptimeS: number } {
  const capacity = r.u16() / 10;
  const uptimeS = r.u32();
  r.end();
  return { capacity, uptimeS };
}

export function encodeLeafQuery(guid: number, hops: number, keyword: Uint8Array): Uint8Array {
  return startMessage(SUPER_PEER_TAG, LEAF_QUERY, 1, 8 + keyword.byteLength).u48(guid).u8(hops).u8(keyword.byteLength).bytes(keyword).finish();
}

export function decodeLeafQuery(r: ByteReader): { guid: number; hops: number; keyword: Uint8Array } {
  const guid = r.u48();
  const hops = r.u8();
  const keyword = r.bytes(r.u8());
  r.end();
  return { guid, hops, keyword };
}

/** 32-bit FNV-1a of a keyword: its entry in a leaf's uploaded index. */
export function keywordHash(keyword: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < keyword.length; i++) h = Math.imul(h ^ keyword[i], 0x01000193);
  return h >>> 0;
}

function capacityField(capacity: number): number {
  return Math.max(0, Math.min(65535, Math.round(capacity * 10)));
}
