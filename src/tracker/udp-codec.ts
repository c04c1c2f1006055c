/**
 * BEP 15 UDP tracker packets, both directions. Decoders check lengths and throw
 * `TrackerProtocolError`; the server side turns an announce packet into the shared
 * `AnnounceRequest` shape.
 */
import type { Address } from '../runtime/types.js';
import { decodeCompact4, decodeCompact6, encodeCompact } from './compact.js';
import { TrackerProtocolError } from './errors.js';
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse, ScrapeStats } from './types.js';

export const PROTOCOL_ID = 0x41727101980n;
export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;
/** BEP 15: at most about 74 info hashes per scrape. */
export const MAX_SCRAPE_HASHES = 74;

const EVENT_CODE: Record<AnnounceEvent, number> = { none: 0, completed: 1, started: 2, stopped: 3 };
const CODE_EVENT: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped'];

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function encodeConnect(tid: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = view(b);
  v.setBigUint64(0, PROTOCOL_ID);
  v.setUint32(8, ACTION_CONNECT);
  v.setUint32(12, tid >>> 0);
  return b;
}

export function encodeAnnounce(connectionId: bigint, tid: number, r: AnnounceRequest): Uint8Array {
  const b = new Uint8Array(98);
  const v = view(b);
  v.setBigUint64(0, connectionId);
  v.setUint32(8, ACTION_ANNOUNCE);
  v.setUint32(12, tid >>> 0);
  b.set(r.infoHash.subarray(0, 20), 16);
  b.set(r.peerId.subarray(0, 20), 36);
  v.setBigUint64(56, BigInt(r.downloaded));
  v.setBigUint64(64, BigInt(r.left));
  v.setBigUint64(72, BigInt(r.uploaded));
  v.setUint32(80, EVENT_CODE[r.event]);
  v.setUint32(84, 0);
  v.setUint32(88, (r.key ?? 0) >>> 0);
  v.setInt32(92, r.numwant ?? -1);
  v.setUint16(96, r.port);
  return b;
}

export function encodeScrape(connectionId: bigint, tid: number, infoHashes: readonly Uint8Array[]): Uint8Array {
  const b = new Uint8Array(16 + 20 * infoHashes.length);
  const v = view(b);
  v.setBigUint64(0, connectionId);
  v.setUint32(8, ACTION_SCRAPE);
  v.setUint32(12, tid >>> 0);
  infoHashes.forEach((h, i) => b.set(h.subarray(0, 20), 16 + 20 * i));
  return b;
}

/** A decoded tracker → client packet. */
export type UdpReply =
  | { readonly action: 'connect'; readonly tid: number; readonly connectionId: bigint }
  | { readonly action: 'announce'; readonly tid: number; readonly response: AnnounceResponse }
  | { readonly action: 'scrape'; readonly tid: number; readonly stats: readonly ScrapeStats[] }
  | { readonly action: 'error'; readonly tid: number; readonly message: string };

/** Decodes a reply; `ipv6` says the peer list is 18-byte entries (the socket's family). */
export function decodeReply(b: Uint8Array, ipv6 = false): UdpReply {
  if (b.length < 8) throw new TrackerProtocolError('udp tracker reply shorter than 8 bytes');
  const v = view(b);
  const action = v.getUint32(0);
  const tid = v.getUint32(4);
  switch (action) {
    case ACTION_CONNECT:
      if (b.length < 16) throw new TrackerProtocolError('udp connect reply shorter than 16 bytes');
      return { action: 'connect', tid, connectionId: v.getBigUint64(8) };
    case ACTION_ANNOUNCE: {
      if (b.length < 20) throw new TrackerProtocolError('udp announce reply shorter than 20 bytes');
      const rest = b.subarray(20);
      const peers = ipv6 ? decodeCompact6(rest) : decodeCompact4(rest);
      return { action: 'announce', tid, response: { interval: v.getUint32(8), incomplete: v.getUint32(12), complete: v.getUint32(16), peers } };
    }
    case ACTION_SCRAPE: {
      const stats: ScrapeStats[] = [];
      for (let o = 8; o + 12 <= b.length; o += 12) stats.push({ complete: v.getUint32(o), downloaded: v.getUint32(o + 4), incomplete: v.getUint32(o + 8) });
      return { action: 'scrape', tid, stats };
    }
    case ACTION_ERROR:
      return { action: 'error', tid, message: Buffer.from(b.subarray(8, 8 + 1024)).toString('utf8') };
    default:
      throw new TrackerProtocolError(`udp tracker reply: unknown action ${action}`);
  }
}

// ---- server side ----

export type UdpRequest =
  | { readonly action: 'connect'; readonly tid: number }
  | { readonly action: 'announce'; readonly tid: number; readonly request: AnnounceRequest }
  | { readonly action: 'scrape'; readonly tid: number; readonly infoHashes: Uint8Array[] };

function ipFromField(n: number): string | undefined {
  return n === 0 ? undefined : `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Big-endian unsigned 32 bits at `o` (no DataView: the server decodes every packet). */
function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** An unsigned 64-bit field as a number, saturating at 2^53 - 1. */
function u64(b: Uint8Array, o: number): number {
  const hi = u32(b, o);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x1_0000_0000 + u32(b, o + 4);
}

/** Decodes a client → tracker packet; throws `TrackerProtocolError` (with the tid when known). */
export function decodeRequest(b: Uint8Array): UdpRequest {
  if (b.length < 16) throw new TrackerProtocolError('udp request shorter than 16 bytes');
  const action = u32(b, 8);
  const tid = u32(b, 12);
  if (action === ACTION_CONNECT) {
    if (u32(b, 0) !== 0x417 || u32(b, 4) !== 0x27101980) throw new TrackerProtocolError('bad protocol id');
    return { action: 'connect', tid };
  }
  if (action === ACTION_ANNOUNCE) {
    if (b.length < 98) throw new TrackerProtocolError('announce shorter than 98 bytes');
    const event = CODE_EVENT[u32(b, 80)];
    if (event === undefined) throw new TrackerProtocolError('bad event');
    const port = (b[96] << 8) | b[97];
    if (port === 0) throw new TrackerProtocolError('port 0');
    const numwant = u32(b, 92) | 0;
    const request: AnnounceRequest = {
      infoHash: b.subarray(16, 36),
      peerId: b.subarray(36, 56),
      downloaded: u64(b, 56),
      left: u64(b, 64),
      uploaded: u64(b, 72),
      event,
      ip: ipFromField(u32(b, 84)),
      key: u32(b, 88),
      numwant: numwant < 0 ? undefined : numwant,
      port,
    };
    return { action: 'announce', tid, request };
  }
  if (action === ACTION_SCRAPE) {
    const n = Math.min(Math.floor((b.length - 16) / 20), MAX_SCRAPE_HASHES);
    if (n < 1) throw new TrackerProtocolError('scrape without info hashes');
    const infoHashes: Uint8Array[] = [];
    for (let i = 0; i < n; i++) infoHashes.push(b.slice(16 + 20 * i, 36 + 20 * i));
    return { action: 'scrape', tid, infoHashes };
  }
  throw new TrackerProtocolError(`unknown action ${action}`);
}

export function encodeConnectReply(tid: number, connectionId: bigint): Uint8Array {
  const b = new Uint8Array(16);
  const v = view(b);
  v.setUint32(0, ACTION_CONNECT);
  v.setUint32(4, tid >>> 0);
  v.setBigUint64(8, connectionId);
  return b;
}

export function encodeAnnounceReply(tid: number, r: AnnounceResponse, family: 4 | 6): Uint8Array {
  const peers = encodeCompact(r.peers, family);
  const b = new Uint8Array(20 + peers.length);
  const v = view(b);
  v.setUint32(0, ACTION_ANNOUNCE);
  v.setUint32(4, tid >>> 0);
  v.setUint32(8, r.interval);
  v.setUint32(12, r.incomplete ?? 0);
  v.setUint32(16, r.complete ?? 0);
  b.set(peers, 20);
  return b;
}

/** Like `encodeAnnounceReply`, from compact peer bytes the core already holds (the hot path). */
export function encodeAnnounceReplyCompact(tid: number, r: AnnounceResponse, compact: Uint8Array): Uint8Array {
  // A slice of Node's buffer pool: far cheaper than a fresh ArrayBuffer per reply.
  const b = Buffer.allocUnsafe(20 + compact.length);
  b.writeUInt32BE(ACTION_ANNOUNCE, 0);
  b.writeUInt32BE(tid >>> 0, 4);
  b.writeUInt32BE(r.interval, 8);
  b.writeUInt32BE(r.incomplete ?? 0, 12);
  b.writeUInt32BE(r.complete ?? 0, 16);
  b.set(compact, 20);
  return b;
}

export function encodeScrapeReply(tid: number, stats: readonly ScrapeStats[]): Uint8Array {
  const b = new Uint8Array(8 + 12 * stats.length);
  const v = view(b);
  v.setUint32(0, ACTION_SCRAPE);
  v.setUint32(4, tid >>> 0);
  stats.forEach((s, i) => {
    v.setUint32(8 + 12 * i, s.complete);
    v.setUint32(12 + 12 * i, s.downloaded);
    v.setUint32(16 + 12 * i, s.incomplete);
  });
  return b;
}

export function encodeErrorReply(tid: number, message: string): Uint8Array {
  const m = Buffer.from(message, 'utf8');
  const b = new Uint8Array(8 + m.length);
  const v = view(b);
  v.setUint32(0, ACTION_ERROR);
  v.setUint32(4, tid >>> 0);
  b.set(m, 8);
  return b;
}

export type { Address };
