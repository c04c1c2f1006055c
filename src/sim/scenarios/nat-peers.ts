/**
 * The NAT scenario's clients, the session layer's `Client` (sim-client.ts) as `shoal get`
 * builds it: uTP and TCP behind one `Streams`
 * (uTP first: transport/dual-streams.ts), BEP 55 ut_holepunch with a uTP-only punch dialer,
 * Shoal's real NAT-PMP/PCP port mapper (src/nat/port-mapper.ts) talking to the simulated
 * gateway, and an external-address vote fed by BEP 10 `yourip` and the mapper. The ledger
 * records what happened between leechers from the clients' own events: dial attempts,
 * connections (and their transport), punches, and payload bytes that crossed uTP.
 */
import type { ExternalAddress } from '../../nat/external-address.js';
import type { HolepunchEvent } from '../../nat/holepunch.js';
import { startPortMapping } from '../../nat/nat-manager.js';
import type { Address, ByteStream, ConnectOptions, Runtime, StreamListener, Streams } from '../../runtime/types.js';
import type { Session } from '../../session/session.js';
import type { SwarmEvent } from '../../swarm/types.js';
import { transportOf, withUtp } from '../../transport/dual-streams.js';
import type { SimHost } from '../host.js';
import type { NatGateway } from '../nat-gateway.js';
import { simUpnpRequester } from '../upnp-http.js';
import type { NatType } from '../nat.js';
import type { ClientSetup } from './swarm-scenario.js';
import { PEER_PORT } from './sim-client.js';

export type Traversal = 'none' | 'mapping' | 'holepunch';

/** Bytes over uTP that count as payload carried: a whole block (control messages are far smaller). */
const CARRIED_BYTES = 16 * 1024;

interface PunchRecord {
  attempts: number;
  /** The attempt (1-based) that succeeded, if one did. */
  succeededAt: number | undefined;
  /** An attempt is under way (between 'punching' and its outcome). */
  pending: boolean;
}

/** What happened between leechers, keyed by leecher index (the origin seed is -1 and not counted in pairs). */
export class NatLedger {
  /** Leecher index by every address it is seen at (its own, its gateway's public one). */
  readonly indexOf = new Map<string, number>();
  readonly types: NatType[] = [];
  readonly gateways: (NatGateway | undefined)[] = [];
  /** Both listen ports mapped by the port mapper. */
  readonly mapped: boolean[] = [];
  /** How the last mapping was made: 'pcp', 'natpmp' or 'upnp'. */
  readonly mappedVia: (string | undefined)[] = [];
  readonly votes: ExternalAddress[] = [];
  /** Unordered leecher pairs where one side dialled the other / a connection opened / one opened over uTP. */
  readonly attempted = new Set<number>();
  readonly connected = new Set<number>();
  readonly connectedUtp = new Set<number>();
  /** Open connections by unordered pair, as both sides count them. */
  private readonly live = new Map<number, number>();
  private readonly liveKeys = new Map<string, number>();
  /**
   * Punches started towards a peer we were connected to already under another address (a
   * symmetric NAT shows one peer at a port per destination, so PEX can name an address we do
   * not know is the same peer): the target ignores them (BEP 55); they are not counted.
   */
  redundantPunches = 0;
  /** Ordered (initiator, target) pairs that punched. */
  readonly punches = new Map<number, PunchRecord>();
  /** Bytes received over uTP streams, by unordered pair, until the pair reaches `CARRIED_BYTES`. */
  private readonly utpBytes = new Map<number, number>();
  /** Unordered pairs that moved at least `CARRIED_BYTES` over uTP (payload carried). */
  readonly carriedUtp = new Set<number>();

  constructor(readonly leechers: number) {}

  pair(a: number, b: number): number {
    return a < b ? a * this.leechers + b : b * this.leechers + a;
  }

  ordered(from: number, to: number): number {
    return from * this.leechers + to;
  }

  /** The leecher index behind `host`, or -1 (origin seed, tracker, unknown). */
  who(host: string): number {
    return this.indexOf.get(host) ?? -1;
  }

  onSwarmEvent(i: number, e: SwarmEvent): void {
    if (i < 0) return;
    if (e.type === 'peer-disconnected') {
      // Only connections that were reported open count (a failed handshake is reported too).
      const k = this.liveKeys.get(`${i}|${e.address}`);
      if (k === undefined) return;
      this.liveKeys.delete(`${i}|${e.address}`);
      const n = (this.live.get(k) ?? 0) - 1;
      if (n > 0) this.live.set(k, n);
      else this.live.delete(k);
    } else if (e.type === 'peer-connected') {
      const j = this.who(e.address.slice(0, e.address.lastIndexOf(':')));
      if (j < 0 || j === i) return;
      this.liveKeys.set(`${i}|${e.address}`, this.pair(i, j));
      this.live.set(this.pair(i, j), (this.live.get(this.pair(i, j)) ?? 0) + 1);
      this.connected.add(this.pair(i, j));
      if (e.transport === 'utp') this.connectedUtp.add(this.pair(i, j));
      // A punch succeeds when the pair connects while it is under way, whichever side's SYN
      // won: the target's may get in where the initiator's is filtered (a symmetric side).
      for (const k of [this.ordered(i, j), this.ordered(j, i)]) {
        const r = this.punches.get(k);
        if (r?.pending === true) this.succeed(r);
      }
    } else if (e.type === 'holepunch') this.onPunch(i, e.event);
  }

  private onPunch(i: number, e: HolepunchEvent): void {
    if (e.type !== 'punching' && e.type !== 'punch-succeeded' && e.type !== 'punch-failed') return;
    if (e.type === 'punching' && e.role !== 'initiator') return;
    const j = this.who(e.target.host);
    if (j < 0) return;
    const k = this.ordered(i, j);
    if (e.type === 'punching' && this.live.has(this.pair(i, j))) {
      this.redundantPunches++;
      return;
    }
    let r = this.punches.get(k);
    if (r === undefined) {
      if (e.type !== 'punching') return;
      this.punches.set(k, (r = { attempts: 0, succeededAt: undefined, pending: false }));
    }
    if (e.type === 'punching') {
      r.attempts++;
      r.pending = true;
    } else if (e.type === 'punch-succeeded') this.succeed(r);
    else r.pending = false;
  }

  private succeed(r: PunchRecord): void {
    r.succeededAt ??= Math.max(1, r.attempts);
    r.pending = false;
  }

  dialled(i: number, to: Address): void {
    const j = this.who(to.host);
    if (i >= 0 && j >= 0 && j !== i) this.attempted.add(this.pair(i, j));
  }

  /** The unordered pair key of leecher `i` and the leecher at `remote`, or -1 (not two leechers). */
  pairWith(i: number, remote: Address): number {
    const j = this.who(remote.host);
    return i < 0 || j < 0 || j === i ? -1 : this.pair(i, j);
  }

  /** Counts bytes pair `k` received over uTP; false once the pair counts as having carried payload (stop counting). */
  received(k: number, bytes: number): boolean {
    if (this.carriedUtp.has(k)) return false;
    const n = (this.utpBytes.get(k) ?? 0) + bytes;
    if (n < CARRIED_BYTES) {
      this.utpBytes.set(k, n);
      return true;
    }
    this.utpBytes.delete(k);
    this.carriedUtp.add(k);
    return false;
  }
}

/** A uTP stream between two leechers that counts what it receives (until the pair carried payload) and otherwise passes through. */
class CountingStream implements ByteStream {
  readonly transport = 'utp';
  private counting = true;
  constructor(readonly inner: ByteStream, private readonly ledger: NatLedger, private readonly pair: number) {}
  get local(): Address { return this.inner.local; }
  get remote(): Address { return this.inner.remote; }
  get volatileData(): boolean | undefined { return this.inner.volatileData; }
  get bufferedBytes(): number { return this.inner.bufferedBytes; }
  write(data: Uint8Array): boolean { return this.inner.write(data); }
  writev(chunks: readonly Uint8Array[]): boolean { return this.inner.writev(chunks); }
  end(): void { this.inner.end(); }
  destroy(error?: Error): void { this.inner.destroy(error); }
  onData(handler: (data: Uint8Array) => void): void {
    this.inner.onData((d) => {
      if (this.counting) this.counting = this.ledger.received(this.pair, d.byteLength);
      handler(d);
    });
  }
  onEnd(handler: () => void): void { this.inner.onEnd(handler); }
  onClose(handler: (error?: Error) => void): void { this.inner.onClose(handler); }
  onDrain(handler: () => void): void { this.inner.onDrain(handler); }
}

/** `Streams` that tell the ledger of every dial and of bytes received over uTP. */
function ledgerStreams(inner: Streams, ledger: NatLedger, i: number): Streams {
  // Only uTP streams between leechers are counted; the rest pass as they are.
  const wrap = (s: ByteStream): ByteStream => {
    if (transportOf(s) !== 'utp') return s;
    const k = ledger.pairWith(i, s.remote);
    return k < 0 ? s : new CountingStream(s, ledger, k);
  };
  return {
    listen: (address: Address, onConnection: (stream: ByteStream) => void): Promise<StreamListener> => inner.listen(address, (s) => onConnection(wrap(s))),
    connect: async (address: Address, options?: ConnectOptions): Promise<ByteStream> => {
      ledger.dialled(i, address);
      return wrap(await inner.connect(address, options));
    },
  };
}

/**
 * One client's setup for `runSwarmScenario`: uTP + TCP, hole punching in the 'holepunch'
 * run, the port mapper in the 'mapping' and 'holepunch' runs (for hosts behind a gateway).
 * The session builds the rest as for `shoal get`: the listen address, the BEP 55 options and
 * punch dialer (over the ledger's uTP streams), the external-address vote fed by `yourip`.
 */
export function natClientSetup(traversal: Traversal, ledger: NatLedger, i: number, host: SimHost): ClientSetup {
  const dual = withUtp(host.runtime);
  const rt: Runtime = { ...dual.runtime, stream: ledgerStreams(dual.streams, ledger, i) };
  const gw = i >= 0 ? ledger.gateways[i] : undefined;
  const punching = traversal === 'holepunch';
  return {
    runtime: rt,
    holepunch: punching,
    punchStreams: punching ? ledgerStreams(dual.utp, ledger, i) : undefined,
    swarm: { onEvent: (e) => ledger.onSwarmEvent(i, e) },
    onStarted: (c) => {
      const session = c.client.session;
      if (i >= 0) ledger.votes[i] = session.external;
      if (gw !== undefined && traversal !== 'none') startMapper(host, gw, ledger, i, session);
    },
  };
}

/**
 * Shoal's port mapping against the host's gateway, for the TCP and uTP listen port: the
 * same `startPortMapping` as `shoal get` (PCP/NAT-PMP to the gateway and a UPnP IGD search
 * side by side), its HTTP leg through the simulated router (upnp-http.ts).
 */
function startMapper(host: SimHost, gw: NatGateway, ledger: NatLedger, i: number, session: Session): void {
  const done = new Set<string>();
  ledger.mapped[i] = false;
  void startPortMapping(host.runtime, {
    tcpPort: PEER_PORT, udpPort: PEER_PORT,
    gateway: { gateway: gw.lanAddress, localAddress: host.address },
    http: simUpnpRequester(host),
    onEvent: (e) => {
      if (e.type === 'external-address') session.voteExternalAddress({ source: 'port-mapping', reporter: gw.lanAddress, host: e.address });
      if (e.type !== 'mapping' || e.mapping.status !== 'mapped') return;
      done.add(e.mapping.protocol);
      ledger.mappedVia[i] = e.mapping.via;
      if (e.mapping.externalAddress !== undefined) session.voteExternalAddress({ source: 'port-mapping', reporter: gw.lanAddress, host: e.mapping.externalAddress, port: e.mapping.externalPort });
      ledger.mapped[i] = done.size === 2;
    },
  });
}
