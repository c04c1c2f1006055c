/**
 * Magnet URIs (BEP 9, BEP 53 `so`, BEP 52 `btmh`): parsing into a typed value and formatting back.
 *
 *   magnet:?xt=urn:btih:<40 hex | 32 base32>&xt=urn:btmh:1220<64 hex>&dn=<name>&tr=<tracker>&ws=<url>&x.pe=<host:port>&so=0,2,4-6
 *
 * Parsing rules:
 * - the scheme `magnet:` is case-insensitive; parameters are `&`-separated, values are
 *   percent-decoded as UTF-8 and `+` reads as a space (form encoding, as libtorrent does);
 * - `xt` (also numbered `xt.1`, `xt.2`, …) must give a v1 (`btih`) or v2 (`btmh`) info hash, or both
 *   for a hybrid torrent; other exact topics (`urn:sha1:`, `urn:ed2k:`) are ignored;
 * - repeating the same hash is harmless; two *different* v1 (or v2) hashes are an error;
 * - `dn`: the first one wins; `tr` (and `tr.N`), `ws` and `x.pe` repeat and keep their order; empty
 *   values are skipped; unknown parameters are ignored.
 */
import { isIPv4, isIPv6 } from '../util/compact-address.js';
import { InputError } from '../errors.js';

/** A magnet URI or magnet value broke a rule; the message says which. */
export class MagnetError extends InputError {}

export interface MagnetPeer {
  /** Host name, IPv4 literal, or IPv6 literal *without* brackets. */
  readonly host: string;
  /** 1–65535. */
  readonly port: number;
}

export interface Magnet {
  /** v1 info hash (SHA-1 of the info dict), 20 bytes, from `xt=urn:btih:`. */
  infoHashV1?: Uint8Array;
  /** v2 info hash (SHA-256 of the info dict), 32 bytes, from `xt=urn:btmh:1220…` (multihash prefix removed). */
  infoHashV2?: Uint8Array;
  /** Display name (`dn`). */
  name?: string;
  /** Tracker URLs (`tr`), in URI order; announced as one tier each (`magnetTiers`). */
  trackers: string[];
  /** Peers to contact directly (`x.pe`), in URI order. */
  peers: MagnetPeer[];
  /** Web seed URLs (`ws`, BEP 19), in URI order. */
  webSeeds: string[];
  /** File indices to download (`so`, BEP 53), sorted and unique; absent means all files. */
  selectOnly?: number[];
}

export interface MagnetParseOptions {
  /** Longest URI accepted, in UTF-16 code units (default 64 KiB). */
  maxLength?: number;
  /** Most file indices `so` may select after expanding its ranges (default 1 Mi). */
  maxSelectOnly?: number;
}

export const MAGNET_DEFAULTS = {
  maxLength: 64 * 1024,
  maxSelectOnly: 1024 * 1024,
} as const satisfies Required<MagnetParseOptions>;

const SCHEME = 'magnet:?';
const BTIH = 'urn:btih:';
const BTMH = 'urn:btmh:';
/** Multihash prefix of a SHA2-256 digest: code 0x12, length 0x20 (BEP 52). */
const MULTIHASH_SHA256 = '1220';
const V1_LENGTH = 20;
const V2_LENGTH = 32;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'; // RFC 4648
const HOSTNAME = /^[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const INDEX = /^[0-9]{1,15}$/;

export function parseMagnet(uri: string, options?: MagnetParseOptions): Magnet {
  const o = { ...MAGNET_DEFAULTS, ...options };
  if (uri.length > o.maxLength) {
    throw new MagnetError(`magnet URI is ${uri.length} characters, longer than maxLength (${o.maxLength})`);
  }
  if (uri.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
    throw new MagnetError(`not a magnet URI: it must start with '${SCHEME}'`);
  }
  const m: Magnet = { trackers: [], peers: [], webSeeds: [] };
  let sawXt = false;
  const selectRanges: Range[] = [];
  for (const part of uri.slice(SCHEME.length).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (eq < 0) continue; // a bare flag carries nothing we use
    const value = unescape(part.slice(eq + 1), key);
    if (value === '') continue;
    if (key === 'xt' || /^xt\.[0-9]+$/.test(key)) {
      sawXt = true;
      exactTopic(m, value);
    } else if (key === 'dn') {
      m.name ??= value;
    } else if (key === 'tr' || /^tr\.[0-9]+$/.test(key)) {
      m.trackers.push(value);
    } else if (key === 'ws') {
      m.webSeeds.push(value);
    } else if (key === 'x.pe') {
      m.peers.push(parsePeer(value));
    } else if (key === 'so') {
      selectRanges.push(...parseSelectOnly(value));
    }
  }
  if (selectRanges.length > 0) m.selectOnly = expandRanges(selectRanges, o.maxSelectOnly);
  if (!m.infoHashV1 && !m.infoHashV2) {
    throw new MagnetError(
      sawXt
        ? "magnet URI has no BitTorrent info hash: add 'xt=urn:btih:<hash>' or 'xt=urn:btmh:1220<hash>'"
        : "magnet URI has no 'xt' parameter: add 'xt=urn:btih:<40 hex characters>'",
    );
  }
  return m;
}

function unescape(raw: string, key: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new MagnetError(`magnet '${key}' has bad percent-encoding: ${clip(raw)}`);
  }
  // A lone surrogate (only possible typed in raw) is not text and could not be written back.
  if (/\p{Cs}/u.test(value)) throw new MagnetError(`magnet '${key}' is not well-formed Unicode: ${clip(raw)}`);
  return value;
}

function clip(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

function exactTopic(m: Magnet, xt: string): void {
  const lower = xt.slice(0, BTIH.length).toLowerCase();
  if (lower === BTIH) {
    const h = xt.slice(BTIH.length);
    let bytes: Uint8Array;
    if (h.length === 40) bytes = hexToBytes(h, 'btih info hash');
    else if (h.length === 32) bytes = base32ToBytes(h);
    else throw new MagnetError(`btih info hash must be 40 hex or 32 base32 characters, got ${h.length}: ${clip(h)}`);
    m.infoHashV1 = same(m.infoHashV1, bytes, 'v1 (btih)');
  } else if (lower === BTMH) {
    const h = xt.slice(BTMH.length);
    if (h.slice(0, 4) !== MULTIHASH_SHA256 || h.length !== 4 + 2 * V2_LENGTH) {
      throw new MagnetError(
        `btmh info hash must be '${MULTIHASH_SHA256}' (sha2-256 multihash) followed by 64 hex characters, got ${clip(h)}`,
      );
    }
    m.infoHashV2 = same(m.infoHashV2, hexToBytes(h.slice(4), 'btmh info hash'), 'v2 (btmh)');
  }
}

function same(previous: Uint8Array | undefined, next: Uint8Array, what: string): Uint8Array {
  if (previous && bytesToHex(previous) !== bytesToHex(next)) {
    throw new MagnetError(`magnet URI names two different ${what} info hashes: ${bytesToHex(previous)} and ${bytesToHex(next)}`);
  }
  return next;
}

function hexToBytes(h: string, what: string): Uint8Array {
  if (!/^[0-9A-Fa-f]*$/.test(h) || h.length % 2 !== 0) throw new MagnetError(`${what} is not hexadecimal: ${clip(h)}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** RFC 4648 base32 without padding; 32 characters carry exactly 20 bytes. */
function base32ToBytes(s: string): Uint8Array {
  const out = new Uint8Array(V1_LENGTH);
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (const ch of s.toUpperCase()) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new MagnetError(`btih info hash is not base32 (A-Z, 2-7): bad character ${JSON.stringify(ch)} in ${clip(s)}`);
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function parsePeer(s: string): MagnetPeer {
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') throw new MagnetError(`x.pe peer address must be '[ipv6]:port', got ${clip(s)}`);
    host = s.slice(1, close);
    portText = s.slice(close + 2);
    if (!isIPv6(host)) throw new MagnetError(`x.pe peer address has a bad IPv6 literal: ${clip(s)}`);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw new MagnetError(`x.pe peer address must be 'host:port', got ${clip(s)}`);
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) throw new MagnetError(`x.pe peer address: put IPv6 literals in brackets, '[${host}]:port', got ${clip(s)}`);
    const numeric = /^[0-9.]+$/.test(host);
    if (host.length > 253 || !HOSTNAME.test(host) || (numeric && !isIPv4(host))) throw new MagnetError(`x.pe peer address has a bad host name: ${clip(s)}`);
  }
  return { host, port: parsePort(portText, s) };
}

function parsePort(text: string, whole: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new MagnetError(`x.pe peer address needs a port from 1 to 65535, got ${clip(whole)}`);
  return port;
}

type Range = readonly [from: number, to: number];

/** BEP 53: `0,2,4-6` → inclusive ranges [0,0], [2,2], [4,6]. */
function parseSelectOnly(s: string): Range[] {
  return s.split(',').map((item): Range => {
    const dash = item.indexOf('-');
    const a = dash < 0 ? item : item.slice(0, dash);
    const b = dash < 0 ? item : item.slice(dash + 1);
    if (!INDEX.test(a) || !INDEX.test(b)) {
      throw new MagnetError(`so must list file indices and ranges like '0,2,4-6', got ${clip(item)} in ${clip(s)}`);
    }
    const from = Number(a);
    const to = Number(b);
    if (from > to) throw new MagnetError(`so range ${clip(item)} runs backwards: write '${to}-${from}'`);
    return [from, to];
  });
}

/** Merges overlapping ranges first, so the work is bounded by `max` however the ranges repeat. */
function expandRanges(ranges: Range[], max: number): number[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  let total = 0;
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1] + 1) {
      if (to > last[1]) {
        total += to - last[1];
        last[1] = to;
      }
    } else {
      merged.push([from, to]);
      total += to - from + 1;
    }
    if (total > max) throw new MagnetError(`so selects more than maxSelectOnly (${max}) files`);
  }
  const out: number[] = [];
  for (const [from, to] of merged) for (let i = from; i <= to; i++) out.push(i);
  return out;
}

function escape(s: string, what: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    throw new MagnetError(`magnet ${what} is not well-formed Unicode (lone surrogate)`);
  }
}

/**
 * Writes a magnet URI that `parseMagnet` reads back to the same value (hashes in lowercase hex,
 * `so` compressed to ranges). Empty trackers and web seeds are left out.
 */
export function formatMagnet(m: Magnet): string {
  const parts: string[] = [];
  if (m.infoHashV1) {
    if (m.infoHashV1.length !== V1_LENGTH) throw new MagnetError(`v1 info hash must be ${V1_LENGTH} bytes, got ${m.infoHashV1.length}`);
    parts.push(`xt=${BTIH}${bytesToHex(m.infoHashV1)}`);
  }
  if (m.infoHashV2) {
    if (m.infoHashV2.length !== V2_LENGTH) throw new MagnetError(`v2 info hash must be ${V2_LENGTH} bytes, got ${m.infoHashV2.length}`);
    parts.push(`xt=${BTMH}${MULTIHASH_SHA256}${bytesToHex(m.infoHashV2)}`);
  }
  if (parts.length === 0) throw new MagnetError('a magnet needs a v1 or v2 info hash');
  if (m.name !== undefined && m.name !== '') parts.push(`dn=${escape(m.name, 'name')}`);
  for (const t of m.trackers) if (t !== '') parts.push(`tr=${escape(t, 'tracker')}`);
  for (const w of m.webSeeds) if (w !== '') parts.push(`ws=${escape(w, 'web seed')}`);
  for (const p of m.peers) parts.push(`x.pe=${escape(formatPeer(p), 'peer')}`);
  if (m.selectOnly && m.selectOnly.length > 0) parts.push(`so=${formatSelectOnly(m.selectOnly)}`);
  return SCHEME + parts.join('&');
}

function formatPeer(p: MagnetPeer): string {
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new MagnetError(`peer ${p.host} needs a port from 1 to 65535, got ${p.port}`);
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
}

function formatSelectOnly(indices: readonly number[]): string {
  for (const i of indices) {
    if (!Number.isSafeInteger(i) || i < 0) throw new MagnetError(`so file indices must be non-negative integers, got ${i}`);
  }
  const sorted = [...new Set(indices)].sort((x, y) => x - y);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/**
 * The BEP 12 tiers of a magnet's trackers: each `tr` its own tier, in the link's order, as
 * libtorrent (`parse_magnet_uri`: one tier per `tr`) and Transmission read them. So the first
 * tracker of a link is asked first, not whichever a shuffle of one tier put first; the
 * announcer still reaches a live tracker behind dead ones after `staggerMs` each.
 */
export function magnetTiers(m: Pick<Magnet, 'trackers'>): string[][] {
  return m.trackers.filter((t) => t !== '').map((t) => [t]);
}
