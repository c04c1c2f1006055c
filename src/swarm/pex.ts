/**
 * BEP 11 peer exchange from the hub's side: what each connected peer is told about the
 * others. Each recipient has its own record of what it was told (a row of pex-told.ts: the
 * diffs a `PexState` of its own would give), so a peer that joins late first gets the full
 * list (up to 50 added, BEP 11; the rest in later messages) and earlier peers hear of it in
 * their next diff.
 *
 * A peer is listed at an address others can dial: the one we dialled, or for a peer that
 * dialled us its IP with the listen port `p` of its extended handshake (BEP 10); never the
 * ephemeral source port of its connection. A peer that dialled us and gave no `p` is not
 * listed (libtorrent does the same). A recipient is never told its own address.
 *
 * Flags: 0x02 seed, 0x04 uTP (the connection runs over uTP, or that endpoint had a uTP
 * connection with us before: the last `maxUtpRemembered` are kept), 0x08 ut_holepunch (BEP 55),
 * 0x10 reachable (we dialled it).
 */
import type { Address } from '../runtime/types.js';
import type { PeerSession } from './peer-session.js';
import { PEX_FLAG_HOLEPUNCH, PEX_FLAG_REACHABLE, PEX_FLAG_SEED, PEX_FLAG_UTP, pexKey, pexKeyText, UT_HOLEPUNCH, UT_PEX, type ExtendedHandshake, type PexMessage, type PexPeer, type PexStateOptions } from '../wire/index.js';
import { ToldTable } from './pex-told.js';

/** What the hub needs to know of one connected peer. */
export interface PexMember {
  /** The address of the connection: dialled (outgoing), or the peer's source (incoming). */
  readonly address: Address;
  readonly incoming: boolean;
  readonly isSeed: boolean;
  /** Its latest extended handshake (BEP 10), if any. */
  readonly extended: ExtendedHandshake | undefined;
  /** The connection runs over uTP (BEP 29). */
  readonly utp?: boolean;
}

/** The address others can dial to reach `m`, with its BEP 11 flags; undefined when unknown. */
export function pexEntry(m: PexMember, knownUtp?: (a: Address) => boolean): PexPeer | undefined {
  const e = listedAt(m);
  // 0x04 also for a TCP connection to an endpoint that spoke uTP to us before (BEP 11: "supports uTP").
  return e && !m.utp && (e.flags & PEX_FLAG_UTP) === 0 && knownUtp?.(e) ? { ...e, flags: e.flags | PEX_FLAG_UTP } : e;
}

function listedAt(m: PexMember): PexPeer | undefined {
  // 0x04 uTP, 0x08 ut_holepunch (BEP 55): others may ask us to relay a rendezvous to it.
  const flags = (m.isSeed || m.extended?.uploadOnly === true ? PEX_FLAG_SEED : 0)
    | (m.utp ? PEX_FLAG_UTP : 0)
    | ((m.extended?.m.get(UT_HOLEPUNCH) ?? 0) > 0 ? PEX_FLAG_HOLEPUNCH : 0);
  if (!m.incoming) return { host: m.address.host, port: m.address.port, flags: flags | PEX_FLAG_REACHABLE };
  // A uTP peer dialled us from its listen socket (one port for uTP and TCP): the source is
  // where its NAT maps that socket, the endpoint a hole punch needs (libtorrent relays to it).
  if (m.utp) return { host: m.address.host, port: m.address.port, flags };
  const p = m.extended?.p;
  if (p === undefined || p < 1 || p > 65535) return undefined;
  return { host: m.address.host, port: p, flags };
}

/** What the PEX hub reads of a peer: one object, refilled per call (the hub copies what it keeps; a poll reads every peer each second). */
const pexViewScratch: { address: Address; incoming: boolean; isSeed: boolean; extended: ExtendedHandshake | undefined; utp: boolean } = {
  address: { host: '', port: 0 }, incoming: false, isSeed: false, extended: undefined, utp: false,
};
export function pexView(p: PeerSession): PexMember {
  const v = pexViewScratch;
  v.address = p.address;
  v.incoming = p.incoming;
  v.isSeed = p.isSeed;
  v.extended = p.conn.remoteExtendedHandshake;
  v.utp = p.overUtp;
  return v;
}

/** Whether `m` said (BEP 10 `m` dict) that it takes ut_pex messages. */
export function acceptsPex(m: PexMember): boolean {
  return (m.extended?.m.get(UT_PEX) ?? 0) > 0;
}

/** Endpoints remembered as speaking uTP (default 1000; the oldest is forgotten first). */
export const PEX_MAX_UTP_REMEMBERED = 1000;

interface Listed<P> {
  readonly peer: P;
  readonly entry: PexPeer;
  /** Its connection runs over uTP: remembered at every poll. */
  readonly utp: boolean;
}

/**
 * A member as of its last view (fields copied: a view may be a live or reused object), with
 * its entry made once: the same entry object from poll to poll, so each recipient's state
 * finds its key made (ut-pex.ts `keyOf`) instead of a new object and key every second.
 */
interface Member {
  address: Address;
  incoming: boolean;
  isSeed: boolean;
  extended: ExtendedHandshake | undefined;
  utp: boolean | undefined;
  /** `listedAt` of those fields. */
  listed: PexPeer | undefined;
  /** It said it takes ut_pex messages (`acceptsPex`). */
  pex: boolean;
  /** `listed` with the uTP flag added (BEP 11 0x04 for an endpoint remembered as speaking uTP), once wanted. */
  listedUtp: PexPeer | undefined;
  /** The poll that last saw it. */
  seenAt: number;
  /** Its row in the hub's `ToldTable` once it was sent something (or found nothing to send); -1 before. */
  row: number;
  /** When its last message went out. */
  sentAt: number;
  /** The generation at which it last had nothing to send (-1: not since its last message). */
  quietAt: number;
}

export class PexHub<P> {
  /** What each recipient was told: one table for all (pex-told.ts), the diffs a `PexState` each would give. */
  private readonly told: ToldTable;
  /** Endpoints (as listed) we had a uTP connection with, oldest first. */
  private readonly utpSeen = new Set<string>();
  /** The members of the last poll, in order, and what each one's view said. */
  private lastMembers: P[] = [];
  private readonly members = new Map<P, Member>();
  private polls = 0;
  private entries: Listed<P>[] = [];
  /** Bumped whenever the entries change: a recipient that had no news at this generation still has none. */
  private generation = 0;
  private readonly knownUtp = (a: Address): boolean => this.utpSeen.has(`${a.host}|${a.port}`);

  /** `view` reads a peer's current state (it may return one object refilled per call: what is kept is copied); `options` are each recipient's `PexState` limits. */
  constructor(private readonly view: (peer: P) => PexMember, private readonly options?: PexStateOptions & { readonly maxUtpRemembered?: number }) {
    this.told = new ToldTable(options);
  }

  private rememberUtp(e: Address): void {
    const k = `${e.host}|${e.port}`;
    this.utpSeen.delete(k);
    this.utpSeen.add(k);
    const max = this.options?.maxUtpRemembered ?? PEX_MAX_UTP_REMEMBERED;
    while (this.utpSeen.size > max) this.utpSeen.delete(this.utpSeen.values().next().value as string);
  }

  /** Reads `p`'s view into its record; true when it is new or anything its entry is made of changed. */
  private look(p: P): boolean {
    const v = this.view(p);
    let m = this.members.get(p);
    if (m === undefined) {
      m = { address: v.address, incoming: v.incoming, isSeed: v.isSeed, extended: v.extended, utp: v.utp, listed: undefined, pex: false, listedUtp: undefined, seenAt: 0, row: -1, sentAt: -Infinity, quietAt: -1 };
      this.members.set(p, m);
    } else if (m.address !== v.address || m.incoming !== v.incoming || m.isSeed !== v.isSeed || m.extended !== v.extended || m.utp !== v.utp) {
      m.address = v.address;
      m.incoming = v.incoming;
      m.isSeed = v.isSeed;
      m.extended = v.extended;
      m.utp = v.utp;
    } else {
      m.seenAt = this.polls;
      return false;
    }
    m.listed = listedAt(m);
    m.pex = acceptsPex(m);
    m.listedUtp = undefined;
    m.seenAt = this.polls;
    return true;
  }

  /** `pexEntry` of a member, from its record (the same answer, the same object while nothing changed). */
  private entryOf(m: Member): PexPeer | undefined {
    const e = m.listed;
    if (!e || m.utp || (e.flags & PEX_FLAG_UTP) !== 0 || !this.knownUtp(e)) return e;
    return (m.listedUtp ??= { ...e, flags: e.flags | PEX_FLAG_UTP });
  }

  /**
   * The messages due at `now`: one per connected peer that takes ut_pex and has news (its
   * first message as soon as it can take one, then at most one per `intervalMs`).
   *
   * A swarm polls every second and often nothing changed: then neither the entries nor any
   * quiet state's answer can have changed, and the poll costs O(peers) with no entries rebuilt
   * and no O(peers²) diffs.
   */
  poll(peers: Iterable<P>, now: number): [P, PexMessage][] {
    this.polls++;
    const members: P[] = [];
    let changed = false;
    for (const p of peers) {
      if (this.look(p)) changed = true;
      if (members.length >= this.lastMembers.length || this.lastMembers[members.length] !== p) changed = true;
      members.push(p);
    }
    if (members.length !== this.lastMembers.length) changed = true;
    if (changed) {
      for (const [p, m] of this.members) {
        if (m.seenAt !== this.polls) {
          this.members.delete(p);
          if (m.row >= 0) this.told.releaseRow(m.row);
        }
      }
      // In member order, as uTP endpoints are remembered: one may mark a later member's entry.
      const entries: Listed<P>[] = [];
      for (const p of members) {
        const m = this.members.get(p) as Member;
        const e = this.entryOf(m);
        if (e && m.utp) this.rememberUtp(e);
        if (e) entries.push({ peer: p, entry: e, utp: m.utp === true });
      }
      this.entries = entries;
      this.told.setEntries(entries.map((x) => x.entry));
      this.generation++;
      this.lastMembers = members;
    } else {
      // Same entries as last time; the uTP endpoints are refreshed as a full poll would (LRU order).
      for (const x of this.entries) if (x.utp) this.rememberUtp(x.entry);
    }
    const out: [P, PexMessage][] = [];
    for (const p of members) {
      const v = this.members.get(p) as Member;
      if (!v.pex) continue;
      if (now < v.sentAt + this.told.intervalMs || v.quietAt === this.generation) continue;
      if (v.row < 0) v.row = this.told.newRow();
      // Not told of itself: its connection's address and the address it is listed at.
      const own = this.entryOf(v);
      const m = this.told.diff(v.row, pexKeyText(v.address), own && pexKey(own));
      if (m) {
        out.push([p, m]);
        v.sentAt = now;
        v.quietAt = -1;
      } else v.quietAt = this.generation;
    }
    return out;
  }
}
