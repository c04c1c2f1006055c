/**
 * A Sybil attacker on the simulated DHT: S identities on A addresses (identity j on address
 * j mod A, each on its own UDP port), all with ids next to one target key, trying to
 * capture every lookup of that key.
 *
 * - Ids: without BEP 42 the attacker takes the target with only the last 32 bits changed,
 *   closer than any honest node can be. Under BEP 42 an id's first 21 bits are fixed by
 *   crc32c of its IP and a 3-bit `r` (BEP 42), so each address has 8 usable prefixes: the
 *   attacker takes, per address, the `r` whose prefix is closest to the target and copies the
 *   target into the free bits (./bep42.ts checks the result).
 * - Getting into routing tables: each identity sends find_node (for its own id) to the honest
 *   nodes it is given; the real nodes then ping it back and keep it where a bucket has room,
 *   like any querier.
 * - Answers: ping with its id; find_node and get_peers with only its own identities closest
 *   to the asked target (never a value, so a lookup that meets only Sybils finds nothing);
 *   get_peers carries a token, so announces are made to it, acknowledged and dropped.
 */
import type { SimHost, Simulator } from '../../sim/index.js';
import type { Address, UdpEndpoint } from '../../runtime/types.js';
import type { Contact } from '../compact.js';
import { compliantNodeId, isCompliantNodeId } from '../bep42.js';
import { decodeKrpc, type KrpcQuery } from '../krpc.js';
import { encodeQuery, encodeResponse, type ResponseSpec } from '../krpc-encode.js';
import { compareDistance, commonPrefixLength, idFromBytes, idToBytes, type NodeId } from '../node-id.js';

export interface SybilOptions {
  /** The attacker's addresses (IPv4 literals, one simulated host each). */
  readonly addresses: readonly string[];
  /** Identities in all (at least one per address). */
  readonly identities: number;
  readonly target: NodeId;
  /** Pick ids that satisfy BEP 42 for their address (needed where honest nodes enforce it). */
  readonly bep42: boolean;
  /** Use these ids (e.g. crypto-puzzle solutions, which cannot be chosen) instead of placing them; one per identity. */
  readonly ids?: readonly NodeId[];
  /** Contacts per find_node / get_peers answer. Default 8 (BEP 5's k). */
  readonly perReply?: number;
  /** First UDP port; identity j on an address uses `port + j / A`. Default 6881. */
  readonly port?: number;
}

export interface SybilStats {
  queriesAnswered: number;
  announcesDropped: number;
}

const TOKEN = Uint8Array.of(0x73, 0x79, 0x62, 0x6c);

export class SybilAttacker {
  readonly contacts: Contact[] = [];
  readonly stats: SybilStats = { queriesAnswered: 0, announcesDropped: 0 };
  private readonly endpoints: UdpEndpoint[] = [];
  private readonly sim: Simulator;
  private readonly perReply: number;
  private txid = 0;

  private constructor(sim: Simulator, perReply: number) {
    this.sim = sim;
    this.perReply = perReply;
  }

  /** Creates the hosts, binds one port per identity and starts answering. */
  static async deploy(sim: Simulator, o: SybilOptions): Promise<SybilAttacker> {
    const a = o.addresses.length;
    if (a < 1) throw new RangeError('a Sybil attacker needs at least one address');
    if (!Number.isInteger(o.identities) || o.identities < a) throw new RangeError(`Sybil identities (${o.identities}) must be a whole number of at least the addresses (${a})`);
    if (o.ids !== undefined && o.ids.length !== o.identities) throw new RangeError(`Sybil ids given (${o.ids.length}) must match the identities (${o.identities})`);
    const attacker = new SybilAttacker(sim, o.perReply ?? 8);
    const hosts: SimHost[] = o.addresses.map((address) => sim.createHost({ address }));
    const port = o.port ?? 6881;
    const pending: Promise<UdpEndpoint>[] = [];
    const ids: NodeId[] = [];
    const best = o.bep42 ? hosts.map((h) => bestR(h.address, o.target, sim)) : [];
    for (let j = 0; j < o.identities; j++) {
      const h = hosts[j % a];
      pending.push(h.runtime.udp.bind({ host: h.address, port: port + Math.floor(j / a) }));
      ids.push(o.ids !== undefined ? o.ids[j] : o.bep42 ? compliantIdNear(h.address, o.target, best[j % a], sim) : idNear(o.target, sim));
    }
    sim.runSync({ until: sim.now });
    const endpoints = await Promise.all(pending);
    endpoints.forEach((ep, j) => {
      const id = ids[j];
      attacker.endpoints.push(ep);
      attacker.contacts.push({ id, address: ep.address });
      ep.onMessage((data, from) => attacker.receive(j, data, from));
    });
    return attacker;
  }

  get size(): number {
    return this.contacts.length;
  }

  /** Longest prefix any identity shares with `target`, bits. */
  bestPrefix(target: NodeId): number {
    let best = 0;
    for (const c of this.contacts) best = Math.max(best, commonPrefixLength(c.id, target));
    return best;
  }

  /** Every identity sends find_node (its own id) to each of `honest`, spread over `spreadMs`. */
  introduce(honest: readonly Address[], spreadMs: number): void {
    this.contacts.forEach((me, j) => {
      for (const to of honest) {
        this.sim.schedule(this.sim.random.next() * spreadMs, () => {
          this.txid = (this.txid + 1) & 0xffff;
          this.endpoints[j].send(encodeQuery(this.txid, me.id, { q: 'find_node', target: me.id }), to);
        });
      }
    });
  }

  private receive(j: number, data: Uint8Array, from: Address): void {
    let m;
    try {
      m = decodeKrpc(data);
    } catch {
      return; // the attacker does not care about malformed datagrams
    }
    if (m.kind !== 'query') return; // answers to its own find_node: nothing to learn
    const spec = this.answer(m);
    if (spec === undefined) return;
    this.stats.queriesAnswered++;
    this.endpoints[j].send(encodeResponse(m.t, this.contacts[j].id, spec, from), from);
  }

  private answer(m: KrpcQuery): ResponseSpec | undefined {
    switch (m.q) {
      case 'ping':
        return {};
      case 'find_node':
        return { nodes: this.closest(m.target) };
      case 'get_peers':
        return { nodes: this.closest(m.infoHash), token: TOKEN };
      case 'announce_peer':
        this.stats.announcesDropped++;
        return {};
      default:
        return undefined;
    }
  }

  /** The last answer (nearly every query is for the attacked key). */
  private cached: { target: NodeId; contacts: Contact[] } | undefined;

  private closest(target: NodeId): Contact[] {
    if (this.cached?.target === target) return this.cached.contacts;
    const contacts = [...this.contacts].sort((x, y) => compareDistance(x.id, y.id, target)).slice(0, this.perReply);
    this.cached = { target, contacts };
    return contacts;
  }
}

/** An id equal to `target` but for its last 32 bits (random, never all equal). */
function idNear(target: NodeId, sim: Simulator): NodeId {
  const b = idToBytes(target);
  const tail = sim.random.bytes(4);
  tail[3] |= 1; // never the target itself
  for (let i = 0; i < 4; i++) b[16 + i] ^= tail[i];
  return idFromBytes(b);
}

/** The BEP 42 `r` (0..7) whose compliant prefix for `host` is closest to `target`. */
function bestR(host: string, target: NodeId, sim: Simulator): number {
  let best = 0;
  let bestId: NodeId | undefined;
  for (let r = 0; r < 8; r++) {
    const id = compliantNodeId(host, sim.random, r);
    if (bestId === undefined || compareDistance(id, bestId, target) < 0) {
      best = r;
      bestId = id;
    }
  }
  return best;
}

/**
 * A BEP 42 compliant id for `host` with `r`, as close to `target` as BEP 42 lets it be: the
 * 21 prefix bits and the last byte's low 3 bits are bound; the rest copy the target, but for
 * 29 random bits before the last byte (so the identities on one address differ).
 */
function compliantIdNear(host: string, target: NodeId, r: number, sim: Simulator): NodeId {
  const b = idToBytes(compliantNodeId(host, sim.random, r));
  const t = idToBytes(target);
  b[2] = (b[2] & 0xf8) | (t[2] & 0x07);
  for (let i = 3; i < 15; i++) b[i] = t[i];
  const tail = sim.random.bytes(4);
  for (let i = 15; i < 19; i++) b[i] = t[i] ^ tail[i - 15];
  b[19] = (t[19] & 0xf8) | (r & 7);
  const id = idFromBytes(b);
  if (!isCompliantNodeId(id, host)) throw new Error(`internal: Sybil id not BEP 42 compliant for ${host}`);
  return id;
}
