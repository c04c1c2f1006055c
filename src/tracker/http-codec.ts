/**
 * BEP 3 / 23 / 7 / 48 over HTTP: the client builds announce and scrape URLs and parses
 * bencoded replies; the server parses a query string into an `AnnounceRequest` and
 * encodes replies. All parsing is size-limited and throws `TrackerProtocolError`.
 */
import { decode, encode } from '../bencode/index.js';
import type { BDict, BValue } from '../bencode/index.js';
import type { Address } from '../runtime/types.js';
import { decodeCompact4, decodeCompact6, encodeCompact, ipv4Bytes } from './compact.js';
import { TrackerFailure, TrackerProtocolError } from './errors.js';
import { bytesToIp, ipToBytes } from '../wire/compact.js';
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse, ScrapeResponse, ScrapeStats, TrackerPeer } from './types.js';

/** Largest HTTP tracker reply we read (bytes). */
export const MAX_HTTP_REPLY = 2 * 1024 * 1024;
/** Most peers we take from one reply. */
export const MAX_REPLY_PEERS = 10_000;

const unreserved = /[A-Za-z0-9.\-_~]/;

/** Percent-encodes raw bytes (info_hash, peer_id). */
export function percentEncode(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    const ch = String.fromCharCode(c);
    s += unreserved.test(ch) ? ch : '%' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  return s;
}

/** Percent-decodes to raw bytes; `+` is a space. Malformed escapes are taken literally. */
export function percentDecode(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out[o++] = parseInt(s.slice(i + 1, i + 3), 16);
      i += 2;
    } else if (c === 0x2b) out[o++] = 0x20;
    else if (c < 0x80) out[o++] = c;
    else {
      const enc = Buffer.from(s[i], 'utf8');
      const grown = new Uint8Array(out.length + enc.length);
      grown.set(out.subarray(0, o));
      grown.set(enc, o);
      return concatRest(grown, o + enc.length, s.slice(i + 1));
    }
  }
  return out.subarray(0, o);
}
function concatRest(head: Uint8Array, n: number, rest: string): Uint8Array {
  const tail = percentDecode(rest);
  const out = new Uint8Array(n + tail.length);
  out.set(head.subarray(0, n));
  out.set(tail, n);
  return out;
}

/** Appends the announce parameters to a tracker URL (keeping any query it already has). */
export function buildAnnounceUrl(announce: string, r: AnnounceRequest): string {
  const params = [
    `info_hash=${percentEncode(r.infoHash)}`,
    `peer_id=${percentEncode(r.peerId)}`,
    `port=${r.port}`,
    `uploaded=${r.uploaded}`,
    `downloaded=${r.downloaded}`,
    `left=${r.left}`,
    `compact=${r.compact === false ? 0 : 1}`,
  ];
  if (r.event !== 'none') params.push(`event=${r.event}`);
  if (r.numwant !== undefined) params.push(`numwant=${r.numwant}`);
  if (r.key !== undefined) params.push(`key=${(r.key >>> 0).toString(16)}`);
  if (r.ip !== undefined) params.push(`ip=${encodeURIComponent(r.ip)}`);
  if (r.trackerId !== undefined) params.push(`trackerid=${encodeURIComponent(r.trackerId)}`);
  return announce + (announce.includes('?') ? '&' : '?') + params.join('&');
}

/** BEP 48: the scrape URL, or undefined when the announce URL has no `announce` last segment. */
export function scrapeUrlFor(announce: string, infoHashes: readonly Uint8Array[]): string | undefined {
  const q = announce.indexOf('?');
  const path = q < 0 ? announce : announce.slice(0, q);
  const slash = path.lastIndexOf('/');
  if (!path.slice(slash + 1).startsWith('announce')) return undefined;
  const base = path.slice(0, slash + 1) + 'scrape' + path.slice(slash + 1 + 'announce'.length) + (q < 0 ? '' : announce.slice(q));
  const hs = infoHashes.map((h) => `info_hash=${percentEncode(h)}`).join('&');
  return base + (base.includes('?') ? '&' : '?') + hs;
}

const LIMITS = { strict: false, maxSize: MAX_HTTP_REPLY, maxDepth: 8, maxStringLength: MAX_HTTP_REPLY } as const;

function decodeReply(body: Uint8Array): BDict {
  if (body.length > MAX_HTTP_REPLY) throw new TrackerProtocolError(`tracker reply too large (${body.length} bytes)`);
  let v: BValue;
  try {
    v = decode(body, LIMITS);
  } catch (e) {
    throw new TrackerProtocolError(`tracker reply is not bencode: ${(e as Error).message}`);
  }
  if (!(v instanceof Map)) throw new TrackerProtocolError('tracker reply is not a dictionary');
  return v;
}

const text = (b: BValue | undefined): string | undefined => (b instanceof Uint8Array ? Buffer.from(b).toString('utf8') : undefined);
const uint = (v: BValue | undefined): number | undefined => (typeof v === 'number' && v >= 0 ? v : undefined);

/** Parses a BEP 3 announce reply; throws `TrackerFailure` on `failure reason`. */
export function parseAnnounceReply(body: Uint8Array): AnnounceResponse {
  const d = decodeReply(body);
  const failure = text(d.get('failure reason'));
  if (failure !== undefined) throw new TrackerFailure(`tracker: ${failure}`);
  const interval = uint(d.get('interval'));
  if (interval === undefined) throw new TrackerProtocolError("tracker reply: missing 'interval'");
  const peers: TrackerPeer[] = [];
  const p = d.get('peers');
  if (p instanceof Uint8Array) {
    if (p.length % 6 !== 0) throw new TrackerProtocolError('tracker reply: compact peers not a multiple of 6 bytes');
    decodeCompact4(p, peers);
  } else if (Array.isArray(p)) {
    for (const e of p) {
      if (!(e instanceof Map)) continue;
      const ip = text(e.get('ip'));
      const port = uint(e.get('port'));
      if (ip === undefined || port === undefined || port === 0 || port > 65535) continue;
      const id = e.get('peer id');
      peers.push({ host: ip, port, peerId: id instanceof Uint8Array ? id : undefined });
    }
  } else if (p !== undefined) throw new TrackerProtocolError("tracker reply: 'peers' must be a string or a list");
  const p6 = d.get('peers6');
  if (p6 instanceof Uint8Array) {
    if (p6.length % 18 !== 0) throw new TrackerProtocolError('tracker reply: peers6 not a multiple of 18 bytes');
    decodeCompact6(p6, peers);
  }
  if (peers.length > MAX_REPLY_PEERS) peers.length = MAX_REPLY_PEERS;
  return {
    interval,
    minInterval: uint(d.get('min interval')),
    trackerId: text(d.get('tracker id')),
    warning: text(d.get('warning message')),
    complete: uint(d.get('complete')),
    incomplete: uint(d.get('incomplete')),
    peers,
    externalIp: externalIp(d.get('external ip')),
  };
}

/** `external ip`: where the tracker saw us (a vote for our external address, src/nat/external-address.ts); anything but 4 or 16 bytes is ignored. */
function externalIp(b: BValue | undefined): string | undefined {
  return b instanceof Uint8Array && (b.length === 4 || b.length === 16) ? bytesToIp(b) : undefined;
}

/** Parses a BEP 48 scrape reply into counts keyed by hex info hash. */
export function parseScrapeReply(body: Uint8Array): ScrapeResponse {
  const d = decodeReply(body);
  const failure = text(d.get('failure reason'));
  if (failure !== undefined) throw new TrackerFailure(`tracker: ${failure}`);
  const files = d.get('files');
  if (!(files instanceof Map)) throw new TrackerProtocolError("scrape reply: missing 'files'");
  const out = new Map<string, ScrapeStats>();
  for (const [k, v] of files) {
    if (k.length !== 20 || !(v instanceof Map)) continue;
    out.set(Buffer.from(k, 'latin1').toString('hex'), { complete: uint(v.get('complete')) ?? 0, downloaded: uint(v.get('downloaded')) ?? 0, incomplete: uint(v.get('incomplete')) ?? 0 });
  }
  return out;
}

// ---- server side ----

/** A parsed HTTP query: names to raw-byte values (the first occurrence), plus every `info_hash`. */
export interface HttpQuery {
  readonly params: Map<string, Uint8Array>;
  readonly infoHashes: Uint8Array[];
}

export function parseQuery(search: string): HttpQuery {
  const params = new Map<string, Uint8Array>();
  const infoHashes: Uint8Array[] = [];
  let n = 0;
  for (const part of search.split('&')) {
    if (!part) continue;
    if (++n > 200) throw new TrackerProtocolError('too many query parameters');
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (name === 'info_hash') infoHashes.push(value);
    if (!params.has(name)) params.set(name, value);
  }
  return { params, infoHashes };
}

const EVENTS: Record<string, AnnounceEvent> = { '': 'none', started: 'started', completed: 'completed', stopped: 'stopped', empty: 'none', paused: 'none' };

function intParam(q: HttpQuery, name: string, required: boolean): number | undefined {
  const v = q.params.get(name);
  if (v === undefined) {
    if (required) throw new TrackerProtocolError(`missing ${name}`);
    return undefined;
  }
  const s = Buffer.from(v).toString('latin1');
  if (!/^\d{1,16}$/.test(s)) throw new TrackerProtocolError(`invalid ${name}`);
  return Number(s);
}

/** Turns an announce query into the shared request shape; throws `TrackerProtocolError`. */
export function httpQueryToAnnounce(q: HttpQuery): AnnounceRequest {
  const infoHash = q.params.get('info_hash');
  if (!infoHash || infoHash.length !== 20) throw new TrackerProtocolError('info_hash must be 20 bytes');
  const peerId = q.params.get('peer_id');
  if (!peerId || peerId.length !== 20) throw new TrackerProtocolError('peer_id must be 20 bytes');
  const port = intParam(q, 'port', true) ?? 0;
  if (port < 1 || port > 65535) throw new TrackerProtocolError('invalid port');
  const ev = Buffer.from(q.params.get('event') ?? new Uint8Array()).toString('latin1');
  const event = EVENTS[ev];
  if (event === undefined) throw new TrackerProtocolError('invalid event');
  const ipRaw = q.params.get('ip');
  const compactRaw = q.params.get('compact');
  return {
    infoHash,
    peerId,
    port,
    uploaded: intParam(q, 'uploaded', false) ?? 0,
    downloaded: intParam(q, 'downloaded', false) ?? 0,
    left: intParam(q, 'left', false) ?? 0,
    event,
    numwant: intParam(q, 'numwant', false),
    ip: ipRaw ? Buffer.from(ipRaw).toString('latin1') : undefined,
    compact: compactRaw === undefined ? true : Buffer.from(compactRaw).toString('latin1') !== '0',
  };
}

export function encodeFailure(reason: string): Uint8Array {
  return encode({ 'failure reason': reason });
}

/** Encodes an announce reply: compact (`peers` + `peers6`) or the dictionary model. */
export function encodeAnnounceReply(r: AnnounceResponse, compact: boolean): Uint8Array {
  const d: Record<string, Uint8Array | number | string | Map<string, Uint8Array | number>[] | undefined> = {
    interval: r.interval,
    'min interval': r.minInterval,
    complete: r.complete,
    incomplete: r.incomplete,
    'tracker id': r.trackerId,
    'warning message': r.warning,
    'external ip': r.externalIp === undefined ? undefined : ipToBytes(r.externalIp),
  };
  if (compact) {
    const v4 = r.peers.filter((p) => ipv4Bytes(p.host) !== undefined);
    const v6 = r.peers.filter((p) => ipv4Bytes(p.host) === undefined);
    d.peers = encodeCompact(v4, 4);
    if (v6.length) d.peers6 = encodeCompact(v6, 6);
  } else {
    d.peers = r.peers.map((p: TrackerPeer) => {
      const m = new Map<string, Uint8Array | number>([['ip', Buffer.from(p.host)], ['port', p.port]]);
      if (p.peerId) m.set('peer id', p.peerId);
      return m;
    });
  }
  return encode(d);
}

export function encodeScrapeReply(s: ScrapeResponse): Uint8Array {
  const files = new Map<string, Map<string, number>>();
  for (const [hex, st] of [...s].sort(([a], [b]) => (a < b ? -1 : 1))) {
    files.set(Buffer.from(hex, 'hex').toString('latin1'), new Map([['complete', st.complete], ['downloaded', st.downloaded], ['incomplete', st.incomplete]]));
  }
  return encode(new Map([['files', files]]));
}

export type { Address };
