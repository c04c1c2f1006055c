/**
 * BEP 11 peer exchange (`ut_pex`, an extension message of BEP 10).
 *
 * Payload: a bencoded dict
 *   added:    compact IPv4 peers <ip:4><port:2>...     added.f:  one flags byte per added peer
 *   added6:   compact IPv6 peers <ip:16><port:2>...    added6.f: one flags byte per added6 peer
 *   dropped:  compact IPv4 peers                       dropped6: compact IPv6 peers
 *
 * We send at most 50 added and 50 dropped per message and at most one message a minute
 * (BEP 11); we accept larger messages (the initial one may be) but keep only `maxPeers`.
 */
import { isBytes, isDict } from '../bencode/access.js';
import { BencodeError, decode } from '../bencode/decode.js';
import type { BDict, BValue } from '../bencode/types.js';
import type { Address } from '../runtime/types.js';
import { ipFromBytes, parseIPv4, parseIPv6 } from '../util/compact-address.js';
import { addressKey, type AddressKey } from '../util/address-key.js';
import { writeCompactPeer } from './compact.js';
import { PeerProtocolError } from './errors.js';

/** Flag bits of `added.f` / `added6.f`. */
export const PEX_FLAG_ENCRYPTION = 0x01; // prefers encryption (the `e` field of the extended handshake)
export const PEX_FLAG_SEED = 0x02; // seed / upload only
export const PEX_FLAG_UTP = 0x04; // supports uTP
export const PEX_FLAG_HOLEPUNCH = 0x08; // supports ut_holepunch
export const PEX_FLAG_REACHABLE = 0x10; // we connected out to it: it accepts connections

/** BEP 11: "the combined amount of added v4/v6 contacts should not exceed 50 entries"; same for dropped. */
export const PEX_MAX_PEERS_PER_MESSAGE = 50;
/** BEP 11: "Clients must batch updates to send no more than 1 PEX message per minute." */
export const PEX_INTERVAL_MS = 60_000;

export interface PexPeer extends Address {
  readonly flags: number;
}

export interface PexMessage {
  /** IPv4 and IPv6 peers together; the host literal tells the family. */
  readonly added: readonly PexPeer[];
  readonly dropped: readonly Address[];
}

export interface DecodedPex extends PexMessage {
  /** Entries were left out because the message was over `maxPeers`. */
  readonly truncated: boolean;
}

export interface PexLimits {
  /** Largest payload accepted (default 64 KiB); larger is a violation. */
  maxMessageSize?: number;
  /** Most added, and most dropped, peers kept from one message (default 200); the rest are ignored. */
  maxPeers?: number;
}

export const PEX_LIMITS: Required<PexLimits> = { maxMessageSize: 64 * 1024, maxPeers: 200 };

interface CompactList {
  readonly bytes: Uint8Array;
  readonly flags: Uint8Array;
}

/**
 * The IPv4 and the IPv6 peers of `peers` as compact lists with their flags. An IPv4 literal is
 * parsed to a number and written straight into its list (no array per address: a swarm encodes
 * up to 50 entries for every peer that connects and each minute after).
 */
function compactLists(peers: readonly Address[]): [CompactList, CompactList] {
  let n4 = 0;
  for (const p of peers) {
    if (parseIPv4(p.host) >= 0) n4++;
    else if (!parseIPv6(p.host)) throw new RangeError(`pex: ${p.host} is not an IP literal`);
  }
  const v4: CompactList = { bytes: new Uint8Array(n4 * 6), flags: new Uint8Array(n4) };
  const v6: CompactList = { bytes: new Uint8Array((peers.length - n4) * 18), flags: new Uint8Array(peers.length - n4) };
  let i4 = 0, i6 = 0;
  for (const p of peers) {
    const flags = 'flags' in p ? (p as PexPeer).flags & 0xff : 0;
    const ip = parseIPv4(p.host);
    if (ip >= 0) {
      const b = v4.bytes, o = i4 * 6;
      b[o] = ip >>> 24;
      b[o + 1] = (ip >>> 16) & 0xff;
      b[o + 2] = (ip >>> 8) & 0xff;
      b[o + 3] = ip & 0xff;
      b[o + 4] = p.port >>> 8;
      b[o + 5] = p.port & 0xff;
      v4.flags[i4++] = flags;
    } else {
      writeCompactPeer(p, parseIPv6(p.host) as Uint8Array, v6.bytes, i6 * 18);
      v6.flags[i6++] = flags;
    }
  }
  return [v4, v6];
}

/** The dict's keys in bencode (sorted) order, as ASCII; `encodePex` writes each value after its key. */
const PEX_KEYS = ['added', 'added.f', 'added6', 'added6.f', 'dropped', 'dropped6'] as const;

/**
 * Encodes a ut_pex payload: the same bytes as the general bencode encoder gives for the six
 * keys (all present, empty when there is nothing), written straight into one buffer of the
 * exact size; a swarm sends one to every peer that connects and one a minute to each after.
 */
export function encodePex(m: PexMessage): Uint8Array {
  const [a4, a6] = compactLists(m.added);
  const [d4, d6] = compactLists(m.dropped);
  const values = [a4.bytes, a4.flags, a6.bytes, a6.flags, d4.bytes, d6.bytes];
  let size = 2;
  for (let i = 0; i < values.length; i++) size += bencodedLength(PEX_KEYS[i].length) + bencodedLength(values[i].length);
  const out = new Uint8Array(size);
  let at = 0;
  out[at++] = 0x64; // 'd'
  for (let i = 0; i < values.length; i++) {
    const key = PEX_KEYS[i];
    at = writeLengthPrefix(out, at, key.length);
    for (let j = 0; j < key.length; j++) out[at++] = key.charCodeAt(j);
    at = writeLengthPrefix(out, at, values[i].length);
    out.set(values[i], at);
    at += values[i].length;
  }
  out[at] = 0x65; // 'e'
  return out;
}

/** Bytes of a bencoded string of `n` bytes: its decimal length, ':' and the bytes. */
function bencodedLength(n: number): number {
  return String(n).length + 1 + n;
}

function writeLengthPrefix(out: Uint8Array, at: number, n: number): number {
  const digits = String(n);
  for (let i = 0; i < digits.length; i++) out[at++] = digits.charCodeAt(i);
  out[at++] = 0x3a; // ':'
  return at;
}

function field(d: BDict, key: string, size: number): { bytes: Uint8Array; count: number } {
  const v: BValue | undefined = d.get(key);
  if (v === undefined) return { bytes: EMPTY_BYTES, count: 0 };
  if (!isBytes(v)) throw new PeerProtocolError('bad_pex', `ut_pex '${key}' is not a byte string`);
  if (v.length % size !== 0) throw new PeerProtocolError('bad_pex', `ut_pex '${key}' is ${v.length} bytes, not a multiple of ${size}`);
  return { bytes: v, count: v.length / size };
}

const EMPTY_BYTES = new Uint8Array(0);
const V4 = 6, V6 = 18;

/**
 * A decoded ut_pex message that keeps its compact lists: `added` and `dropped` are built on
 * first read, and a swarm reads each added entry's key, port and flags without them. Every
 * PEX message a swarm gets names up to 50 peers, nearly all of them known already: an
 * address object and a host string for each was a tenth of what a 1,000-peer swarm allocated.
 *
 * Added entries are numbered IPv4 first, then IPv6, as kept (`maxPeers`); an entry with port 0
 * (no peer listens there) is skipped by `added` and has `addedPort(i) === 0`.
 */
export class PexPayload implements DecodedPex {
  readonly addedCount: number;
  private addedList: PexPeer[] | undefined;
  private droppedList: Address[] | undefined;

  constructor(
    private readonly a4: Uint8Array, private readonly a4Flags: Uint8Array | undefined, private readonly a4Count: number,
    private readonly a6: Uint8Array, private readonly a6Flags: Uint8Array | undefined, a6Count: number,
    private readonly d4: Uint8Array, private readonly d4Count: number,
    private readonly d6: Uint8Array, private readonly d6Count: number,
    readonly truncated: boolean,
  ) {
    this.addedCount = a4Count + a6Count;
  }

  addedPort(i: number): number {
    return portAt(this.a4, this.a4Count, this.a6, i);
  }

  addedFlags(i: number): number {
    const f = i < this.a4Count ? this.a4Flags : this.a6Flags;
    return f ? f[i < this.a4Count ? i : i - this.a4Count] : 0;
  }

  /** `addressKey` of added entry `i` (util/address-key.ts); for IPv4 a number, with no host string made. */
  addedKey(i: number): AddressKey {
    return keyAt(this.a4, this.a4Count, this.a6, i);
  }

  /** Added entry `i` as an address with its flags. */
  addedPeer(i: number): PexPeer {
    return { host: hostAt(this.a4, this.a4Count, this.a6, i), port: this.addedPort(i), flags: this.addedFlags(i) };
  }

  /** Dropped entries kept (IPv4 then IPv6); `droppedKey(i)` as `addedKey`, port 0 entries included. */
  get droppedCount(): number {
    return this.d4Count + this.d6Count;
  }

  droppedPort(i: number): number {
    return portAt(this.d4, this.d4Count, this.d6, i);
  }

  droppedKey(i: number): AddressKey {
    return keyAt(this.d4, this.d4Count, this.d6, i);
  }

  get added(): readonly PexPeer[] {
    if (this.addedList === undefined) {
      this.addedList = [];
      for (let i = 0; i < this.addedCount; i++) if (this.addedPort(i) !== 0) this.addedList.push(this.addedPeer(i));
    }
    return this.addedList;
  }

  get dropped(): readonly Address[] {
    if (this.droppedList === undefined) {
      this.droppedList = [];
      for (let i = 0; i < this.droppedCount; i++) {
        const port = this.droppedPort(i);
        if (port !== 0) this.droppedList.push({ host: hostAt(this.d4, this.d4Count, this.d6, i), port });
      }
    }
    return this.droppedList;
  }
}

// Entry `i` of a message's list: the IPv4 list `b4` (`n4` entries kept) first, then the IPv6 list `b6`.

function portAt(b4: Uint8Array, n4: number, b6: Uint8Array, i: number): number {
  if (i < n4) return (b4[i * V4 + 4] << 8) | b4[i * V4 + 5];
  const end = (i - n4 + 1) * V6;
  return (b6[end - 2] << 8) | b6[end - 1];
}

function hostAt(b4: Uint8Array, n4: number, b6: Uint8Array, i: number): string {
  return i < n4 ? ipFromBytes(b4, i * V4, 4) : ipFromBytes(b6, (i - n4) * V6, 6);
}

/** `addressKey` of the entry; for IPv4 the number `ip * 65536 + port`, read off the bytes. */
function keyAt(b4: Uint8Array, n4: number, b6: Uint8Array, i: number): AddressKey {
  if (i >= n4) return addressKey({ host: hostAt(b4, n4, b6, i), port: portAt(b4, n4, b6, i) });
  const o = i * V4;
  return (b4[o] * 16777216 + ((b4[o + 1] << 16) | (b4[o + 2] << 8) | b4[o + 3])) * 65536 + ((b4[o + 4] << 8) | b4[o + 5]);
}

/** Decodes a ut_pex payload. Throws `PeerProtocolError` ('bad_pex') when malformed or over `maxMessageSize`. */
export function decodePex(payload: Uint8Array, limits?: PexLimits): PexPayload {
  const maxMessageSize = limits?.maxMessageSize ?? PEX_LIMITS.maxMessageSize;
  const maxPeers = limits?.maxPeers ?? PEX_LIMITS.maxPeers;
  if (payload.length > maxMessageSize) throw new PeerProtocolError('bad_pex', `ut_pex message of ${payload.length} bytes is over the limit of ${maxMessageSize}`);
  let d: BValue;
  try {
    d = decode(payload, { strict: false, maxDepth: 8 });
  } catch (e) {
    if (e instanceof BencodeError) throw new PeerProtocolError('bad_pex', `ut_pex: ${e.message}`, { cause: e });
    throw e;
  }
  if (!isDict(d)) throw new PeerProtocolError('bad_pex', 'ut_pex message is not a dictionary');
  const dict = d;
  // Each list is validated whole (a malformed one is a violation even past `maxPeers`); of the
  // added lists IPv4 is kept first, and at most `maxPeers` entries of added and of dropped.
  const a4 = field(dict, 'added', V4), a6 = field(dict, 'added6', V6);
  const d4 = field(dict, 'dropped', V4), d6 = field(dict, 'dropped6', V6);
  const flagsOf = (key: string, count: number): Uint8Array | undefined => {
    const f = dict.get(key);
    return isBytes(f) && f.length === count ? f : undefined;
  };
  const n4 = Math.min(a4.count, maxPeers), n6 = Math.min(a6.count, maxPeers - n4);
  const nd4 = Math.min(d4.count, maxPeers), nd6 = Math.min(d6.count, maxPeers - nd4);
  const truncated = n4 < a4.count || n6 < a6.count || nd4 < d4.count || nd6 < d6.count;
  return new PexPayload(a4.bytes, flagsOf('added.f', a4.count), n4, a6.bytes, flagsOf('added6.f', a6.count), n6, d4.bytes, nd4, d6.bytes, nd6, truncated);
}

export interface PexStateOptions {
  /** Most added peers per message (default 50, BEP 11). */
  maxAdded?: number;
  /** Most dropped peers per message (default 50, BEP 11). */
  maxDropped?: number;
  /** Least time between two messages (default 60 s, BEP 11). */
  intervalMs?: number;
}

export const PEX_STATE_DEFAULTS: Required<PexStateOptions> = {
  maxAdded: PEX_MAX_PEERS_PER_MESSAGE,
  maxDropped: PEX_MAX_PEERS_PER_MESSAGE,
  intervalMs: PEX_INTERVAL_MS,
};

/**
 * The key of a listed peer, made once per entry object: a hub lists the same entry objects to
 * every recipient, whose states each keep the entries they were told (a swarm of 1,000 held
 * ~650,000 keys, ~30% of its heap, when each state built its own).
 */
const entryKeys = new WeakMap<Address, string>();
export function pexKey(a: Address): string {
  return keyOf(a);
}
/** The key's text, made anew (for an address not kept: `pexKey` caches per entry object). */
export function pexKeyText(a: Address): string {
  return `${a.host}|${a.port}`;
}
function keyOf(a: Address): string {
  let k = entryKeys.get(a);
  if (k === undefined) entryKeys.set(a, (k = pexKeyText(a)));
  return k;
}

/**
 * What we have told one peer about our connections, and the next diff to send it. Feed it the
 * peers we are connected to now (without the recipient itself); it answers with the added
 * and dropped peers since the last message, at most once per `intervalMs`. A peer left over
 * by the per-message caps goes out in a later message.
 */
export class PexState {
  private readonly o: Required<PexStateOptions>;
  private readonly told = new Map<string, PexPeer>();
  private lastSentAt = -Infinity;

  constructor(options?: PexStateOptions) {
    this.o = { ...PEX_STATE_DEFAULTS, ...options };
  }

  /** When the next message may go out. */
  nextDeadline(): number {
    return this.lastSentAt + this.o.intervalMs;
  }

  /** The message to send now, or undefined when it is too early or nothing changed. */
  poll(connected: Iterable<PexPeer>, now: number): PexMessage | undefined {
    if (now < this.nextDeadline()) return undefined;
    const current = new Map<string, PexPeer>();
    for (const p of connected) current.set(keyOf(p), p);
    return this.pollKeyed(current, undefined, undefined, now);
  }

  /**
   * `poll` for a hub that tells many recipients of the same peers: `all` is every listed peer
   * by `pexKey` (made once per change, shared by the recipients), less the keys `skipA` and
   * `skipB` (the recipient's own addresses). The same answer as `poll` of the rest, in the
   * same order, without a map of its own per recipient.
   */
  pollKeyed(all: ReadonlyMap<string, PexPeer>, skipA: string | undefined, skipB: string | undefined, now: number): PexMessage | undefined {
    if (now < this.nextDeadline()) return undefined;
    const added: PexPeer[] = [];
    for (const [k, p] of all) {
      if (added.length >= this.o.maxAdded) break;
      if (k === skipA || k === skipB) continue;
      // A peer told with other flags goes out again (its seed, uTP or ut_holepunch bit was
      // learnt after we first listed it; receivers such as libtorrent update a known peer's flags).
      if (this.told.get(k)?.flags !== p.flags) added.push(p);
    }
    const dropped: Address[] = [];
    for (const [k, p] of this.told) {
      if (dropped.length >= this.o.maxDropped) break;
      if (k === skipA || k === skipB || !all.has(k)) dropped.push({ host: p.host, port: p.port });
    }
    if (added.length === 0 && dropped.length === 0) return undefined;
    for (const p of added) this.told.set(keyOf(p), p);
    for (const p of dropped) this.told.delete(keyOf(p));
    this.lastSentAt = now;
    return { added, dropped };
  }
}
