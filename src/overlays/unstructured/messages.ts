/**
 * The unstructured overlay's messages (Gnutella 0.4 in spirit, binary). Shared by the
 * flooding and random-walk overlays (tag 'U') and, for its neighbour control messages, by
 * the super-peer overlay (which passes its own tag).
 *
 * After the 3-byte header (tag, type, flags):
 *   CONNECT, ACCEPT, BYE, PING   (empty)
 *   REJECT, PONG                 count u8 | count x address (6)          known peers to try
 *   QUERY                        guid u48 | ttl u8 | hops u8 | len u8 | keyword
 *   HIT                          guid u48 | hops u8 | responder address (6)
 *   WALK                         guid u48 | origin address (6) | ttl u16 | hops u16 | len u8 | keyword
 *   CHECK                        guid u48 | tx u32
 *   CHECK_REPLY                  guid u48 | tx u32 | continue u8 (0 or 1)
 */
import { ByteReader, OverlayMessageError } from '../common/binary.js';
import { ADDRESS_BYTES, readAddressKey, writeAddressKey } from '../common/addresses.js';
import { startMessage } from '../common/base-node.js';

export const UNSTRUCTURED_TAG = 0x55; // 'U'

export const MSG_CONNECT = 1;
export const MSG_ACCEPT = 2;
export const MSG_REJECT = 3;
export const MSG_BYE = 4;
export const MSG_PING = 5;
export const MSG_PONG = 6;
export const MSG_QUERY = 7;
export const MSG_HIT = 8;
export const MSG_WALK = 9;
export const MSG_CHECK = 10;
export const MSG_CHECK_REPLY = 11;

/** At most this many addresses in a PONG or REJECT. */
export const MAX_PEER_LIST = 16;
/** Longest keyword, bytes. */
export const MAX_KEYWORD_BYTES = 255;

export function encodeControl(tag: number, type: number, peers: readonly number[] | null): Uint8Array {
  const n = peers === null ? 0 : Math.min(peers.length, MAX_PEER_LIST);
  const hasList = type === MSG_REJECT || type === MSG_PONG;
  const w = startMessage(tag, type, 0, hasList ? 1 + n * ADDRESS_BYTES : 0);
  if (hasList) {
    w.u8(n);
    for (let i = 0; i < n; i++) writeAddressKey(w, peers![i]);
  }
  return w.finish();
}

/** Reads the peer list of a REJECT or PONG. */
export function decodePeerList(r: ByteReader): number[] {
  const n = r.count8(MAX_PEER_LIST, 'peer list');
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(readAddressKey(r));
  r.end();
  return out;
}

export interface QueryMessage {
  guid: number;
  ttl: number;
  hops: number;
  keyword: Uint8Array;
}

export function encodeQuery(tag: number, m: QueryMessage): Uint8Array {
  return startMessage(tag, MSG_QUERY, 1, 9 + m.keyword.byteLength).u48(m.guid).u8(m.ttl).u8(m.hops).u8(m.keyword.byteLength).bytes(m.keyword).finish();
}

export function decodeQuery(r: ByteReader): QueryMessage {
  const guid = r.u48();
  const ttl = r.u8();
  const hops = r.u8();
  const keyword = r.bytes(r.u8());
  r.end();
  return { guid, ttl, hops, keyword };
}

export function encodeHit(tag: number, guid: number, hops: number, responder: number): Uint8Array {
  const w = startMessage(tag, MSG_HIT, 1, 7 + ADDRESS_BYTES).u48(guid).u8(hops);
  writeAddressKey(w, responder);
  return w.finish();
}

export function decodeHit(r: ByteReader): { guid: number; hops: number; responder: number } {
  const guid = r.u48();
  const hops = r.u8();
  const responder = readAddressKey(r);
  r.end();
  return { guid, hops, responder };
}

export interface WalkMessage {
  guid: number;
  origin: number;
  ttl: number;
  hops: number;
  keyword: Uint8Array;
}

export function encodeWalk(m: WalkMessage): Uint8Array {
  const w = startMessage(UNSTRUCTURED_TAG, MSG_WALK, 1, 6 + ADDRESS_BYTES + 5 + m.keyword.byteLength).u48(m.guid);
  writeAddressKey(w, m.origin);
  return w.u16(m.ttl).u16(m.hops).u8(m.keyword.byteLength).bytes(m.keyword).finish();
}

export function decodeWalk(r: ByteReader): WalkMessage {
  const guid = r.u48();
  const origin = readAddressKey(r);
  const ttl = r.u16();
  const hops = r.u16();
  const keyword = r.bytes(r.u8());
  r.end();
  return { guid, origin, ttl, hops, keyword };
}

export function encodeCheck(guid: number, tx: number): Uint8Array {
  return startMessage(UNSTRUCTURED_TAG, MSG_CHECK, 1, 10).u48(guid).u32(tx).finish();
}

export function encodeCheckReply(guid: number, tx: number, proceed: boolean): Uint8Array {
  return startMessage(UNSTRUCTURED_TAG, MSG_CHECK_REPLY, 1, 11).u48(guid).u32(tx).u8(proceed ? 1 : 0).finish();
}

export function decodeCheck(r: ByteReader): { guid: number; tx: number } {
  const guid = r.u48();
  const tx = r.u32();
  r.end();
  return { guid, tx };
}

export function decodeCheckReply(r: ByteReader): { guid: number; tx: number; proceed: boolean } {
  const guid = r.u48();
  const tx = r.u32();
  const c = r.u8();
  if (c > 1) throw new OverlayMessageError(`CHECK_REPLY continue flag ${c}`);
  r.end();
  return { guid, tx, proceed: c === 1 };
}

/** The keyword as a string key for a `Set` (one char per byte). */
export function keywordKey(keyword: Uint8Array): string {
  return String.fromCharCode.apply(null, keyword as unknown as number[]);
}
