/**
 * BEP 42, DHT security extension: node ids tied to the node's external IP, and learning that
 * IP from the `ip` field other nodes put in their replies.
 *
 * A compliant id's first 21 bits equal the first 21 bits of crc32c((ip & mask) | r << 29)
 * (IPv4; IPv6 hashes the top 64 bits with its own mask and r << 61), and its last byte's low
 * 3 bits are r. Private, loopback and link-local addresses are exempt.
 */
import type { Random } from '../runtime/types.js';
import { smallHash } from '../util/small-hash.js';
import { ipBytes } from './compact.js';
import { ID_BYTES, idFromBytes, type NodeId } from './node-id.js';
import { SlotPool } from './slot-pool.js';

const CRC32C_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32C (Castagnoli), as BEP 42 uses it. */
export function crc32c(data: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

function prefixCrc(ip: Uint8Array, r: number): number {
  const n = ip.length === 4 ? 4 : 8;
  const mask = n === 4 ? V4_MASK : V6_MASK;
  const buf = new Uint8Array(n);
  for (let i = 0; i < n; i++) buf[i] = ip[i] & mask[i];
  buf[0] |= (r & 7) << 5;
  return crc32c(buf);
}

/** True for addresses BEP 42 does not apply to (private, loopback, link-local, unique-local). */
export function isExemptIp(host: string): boolean {
  const b = ipBytes(host);
  if (b === undefined) return true;
  if (b.length === 4) {
    return b[0] === 10 || b[0] === 127 || (b[0] === 172 && (b[1] & 0xf0) === 16) || (b[0] === 192 && b[1] === 168)
      || (b[0] === 169 && b[1] === 254) || (b[0] === 100 && (b[1] & 0xc0) === 64) || b[0] === 0;
  }
  const allZeroHead = b.subarray(0, 15).every((x) => x === 0);
  return (allZeroHead && (b[15] === 1 || b[15] === 0)) || (b[0] & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1] & 0xc0) === 0x80);
}

/** A node id compliant with BEP 42 for `host`, the rest drawn from `random` (`r` too unless given). */
export function compliantNodeId(host: string, random: Random, r?: number): NodeId {
  const ip = ipBytes(host);
  if (ip === undefined) throw new RangeError(`not an IP address: '${host}'`);
  const id = random.bytes(ID_BYTES);
  const rand = r ?? random.int(256);
  const crc = prefixCrc(ip, rand & 7);
  id[0] = (crc >>> 24) & 0xff;
  id[1] = (crc >>> 16) & 0xff;
  id[2] = ((crc >>> 8) & 0xf8) | (id[2] & 0x07);
  id[19] = rand & 0xff;
  return idFromBytes(id);
}

/** Whether `id` is compliant for `host` (exempt addresses always are). */
export function isCompliantNodeId(id: NodeId, host: string): boolean {
  if (isExemptIp(host)) return true;
  const ip = ipBytes(host);
  if (ip === undefined) return false;
  const crc = prefixCrc(ip, id.charCodeAt(19) & 7);
  return id.charCodeAt(0) === ((crc >>> 24) & 0xff) && id.charCodeAt(1) === ((crc >>> 16) & 0xff)
    && (id.charCodeAt(2) & 0xf8) === ((crc >>> 8) & 0xf8);
}

export interface ExternalIpVoterOptions {
  /** Votes from distinct sources needed before deciding. Default 10. */
  minVotes?: number;
  /** Most distinct sources remembered. Default 32. */
  maxVoters?: number;
}

/**
 * Decides our external IP from the `ip` fields of replies: one vote per source IP, and an
 * address wins once it has `minVotes` votes and more than twice the runner-up's. Votes
 * live in two small parallel arrays (a ring: a new voter replaces the oldest when full),
 * which costs less than maps in every node of a big simulation.
 */
export class ExternalIpVoter {
  private readonly minVotes: number;
  private readonly maxVoters: number;
  /**
   * The ring, in a slot of shared chunks (./slot-pool.ts: two arrays were four objects a
   * node): voter i's host at `at + i`, the address it says we are at at `at + maxVoters + i`,
   * and `smallHash` of its host at `at + 2 * maxVoters + i` (a small integer, kept in the
   * array without an object), for i < `voters`. Taken at the first vote.
   */
  private ring: (string | number)[] | null = null;
  private at = 0;
  private slot = -1;
  private voters = 0;
  /** Next slot to overwrite once the ring is full (the oldest voter). */
  private oldest = 0;
  private decided: string | undefined;

  constructor(options: ExternalIpVoterOptions = {}) {
    this.minVotes = options.minVotes ?? 10;
    this.maxVoters = options.maxVoters ?? 32;
  }

  /** Hands the ring back (the node closed); votes start over if more come. */
  release(): void {
    if (this.ring === null) return;
    ringPool(this.maxVoters).release(this.slot);
    this.ring = null;
    this.voters = 0;
    this.oldest = 0;
  }

  get external(): string | undefined {
    return this.decided;
  }

  /** Counts `voter`'s claim that we are at `ip`. Returns the winner when the decision changes. */
  vote(voterHost: string, claim: string): string | undefined {
    const max = this.maxVoters;
    if (max <= 0) return undefined;
    if (this.ring === null) {
      const pool = ringPool(max);
      this.slot = pool.acquire();
      this.ring = pool.chunkOf(this.slot);
      this.at = pool.offsetOf(this.slot);
    }
    const ring = this.ring;
    const hosts = this.at;
    const claims = hosts + max;
    const keys = claims + max;
    const n = this.voters;
    // Keep one copy of each claimed address (every reply decodes a new string; a ring of
    // copies of the same address was a kilobyte per node in a big simulation).
    const seen = claim === this.decided ? -1 : indexIn(ring, claims, n, claim);
    const ip = claim === this.decided ? this.decided : seen >= 0 ? ring[claims + seen] as string : claim;
    // The voter is found by its key first: comparing with 32 host strings read each one
    // (3% of a 20,000-node simulation's CPU, the strings scattered over the heap).
    const key = smallHash(voterHost); // a small integer: stored in the ring's array as is
    let i = -1;
    for (let j = 0; j < n; j++) {
      if (ring[keys + j] === key && ring[hosts + j] === voterHost) {
        i = j;
        break;
      }
    }
    if (i >= 0) {
      if (ring[claims + i] === ip) return undefined;
      ring[claims + i] = ip;
    } else if (n < max) {
      ring[hosts + n] = voterHost;
      ring[claims + n] = ip;
      ring[keys + n] = key;
      this.voters = n + 1;
    } else {
      ring[hosts + this.oldest] = voterHost;
      ring[claims + this.oldest] = ip;
      ring[keys + this.oldest] = key;
      this.oldest = (this.oldest + 1) % max;
    }
    if (ip === this.decided) return undefined;
    const votes = this.count(ip);
    if (votes < this.minVotes) return undefined;
    for (let j = 0; j < this.voters; j++) if (ring[claims + j] !== ip && 2 * this.count(ring[claims + j] as string) >= votes) return undefined;
    this.decided = ip;
    return ip;
  }

  private count(ip: string): number {
    const ring = this.ring as (string | number)[];
    const claims = this.at + this.maxVoters;
    let n = 0;
    for (let j = 0; j < this.voters; j++) if (ring[claims + j] === ip) n++;
    return n;
  }
}

/** The voters' rings, one pool per ring size (hosts, claims, host keys: two strings and a small integer a voter). */
const RING_POOLS = new Map<number, SlotPool<(string | number)[]>>();

function ringPool(maxVoters: number): SlotPool<(string | number)[]> {
  let pool = RING_POOLS.get(maxVoters);
  if (pool === undefined) {
    pool = new SlotPool(3 * maxVoters, (n) => new Array<string | number>(n).fill(''), (chunk, from, to) => chunk.fill('', from, to));
    RING_POOLS.set(maxVoters, pool);
  }
  return pool;
}


/** Position (0..n-1) of `x` among `a[from, from + n)`, or -1. */
function indexIn(a: readonly (string | number)[], from: number, n: number, x: string): number {
  for (let i = 0; i < n; i++) if (a[from + i] === x) return i;
  return -1;
}
