/**
 * The DHT as a peer source: joins through the bootstrap nodes, looks a torrent up (again
 * every few minutes, or from 15 s doubling while lookups find nobody), hands peers to the
 * swarm and announces our port. The client (`client.ts`) starts one node; `shoal get` /
 * `seed` run rounds per torrent on their own timers, the daemon schedules them itself with
 * `dhtRound`. Any failure only means "no DHT": the download goes on. Names are resolved
 * through the runtime (`runtime.dns`), timers come from its clock.
 */
import { Dht } from '../dht/dht.js';
import { resolveName, type Address, type Runtime, type TimerHandle } from '../runtime/types.js';
import type { Swarm } from '../swarm/swarm.js';
import { EMPTY_REASK_FIRST_MS, reaskDelay } from '../util/backoff.js';

/** The usual public bootstrap routers, used when no bootstrap node is given. */
export const DEFAULT_DHT_ROUTERS: readonly string[] = ['router.bittorrent.com:6881', 'dht.transmissionbt.com:6881', 'router.utorrent.com:6881', 'dht.libtorrent.org:25401'];

/** Between lookups that found peers. */
export const RELOOKUP_MS = 5 * 60_000;

/** What a round needs of the DHT node and of the swarm (narrow, so tests can fake them). */
export type DhtLike = Pick<Dht, 'peers' | 'announce'>;
export type SwarmLike = Pick<Swarm, 'infoHashV1' | 'infoHashV2'> & { addPeer(address: Address, source: 'dht'): void };

export interface DhtPeerSource {
  /** The node in use. */
  readonly dht: Dht;
  /** Settles once the node joined (at once for a shared node). */
  readonly bootstrapped: Promise<unknown>;
  stop(): void;
}

/** Starts a DHT node bound to `host` and joins through `bootstrap` (default: the public routers); undefined when it cannot. */
export async function startDhtNode(o: { runtime: Runtime; host: string; port?: number; bootstrap: readonly string[]; onIpReport?: (from: Address, seen: Address) => void }): Promise<Dht | undefined> {
  const nodes = await resolveBootstrap(o.runtime, o.bootstrap.length > 0 ? o.bootstrap : DEFAULT_DHT_ROUTERS);
  if (nodes.length === 0) return undefined;
  // Same host as our peer listener: an announce records the address the DHT packet came from.
  const bind = { host: o.host, port: o.port ?? 0 };
  // On the IPv4 wildcard the node runs dual stack (BEP 32) when the machine has IPv6, else IPv4 only.
  const tries = o.host === '0.0.0.0' ? [{ host: '::', port: o.port ?? 0 }, undefined] : [undefined];
  for (const bind6 of tries) {
    try {
      return await Dht.start(o.runtime, { bootstrap: nodes, bind, bind6, onIpReport: o.onIpReport });
    } catch {
      // No IPv6 here (or the port is taken): try the next, then give up on the DHT.
    }
  }
  return undefined;
}

/** `HOST:PORT` or `[V6]:PORT`; undefined when it is neither. */
export function splitHostPort(text: string): Address | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  return m && port >= 0 && port <= 65535 ? { host: m[1], port } : undefined;
}

/**
 * Resolves bootstrap `HOST:PORT`s to IPv4 addresses through the runtime. Entries that do not
 * parse or resolve (no network, no DNS) are dropped quietly; the caller reports when none is left.
 */
export async function resolveBootstrap(runtime: Pick<Runtime, 'dns'>, list: readonly string[]): Promise<Address[]> {
  const out: Address[] = [];
  await Promise.all(list.map(async (text) => {
    const a = splitHostPort(text);
    if (!a) return;
    try {
      out.push({ host: await resolveName(runtime, a.host, 4), port: a.port });
    } catch {
      // Unresolvable: skipped.
    }
  }));
  return out;
}

/**
 * One lookup of the swarm's torrent (peers go to the swarm) followed by an announce of `port`.
 * Resolves with the number of peers found; never rejects.
 */
export async function dhtRound(dht: DhtLike, swarm: SwarmLike, port: number, signal: AbortSignal): Promise<number> {
  // BEP 5 addresses the torrent by its v1 info hash, or the v2 one truncated to 20 bytes.
  const infoHash = swarm.infoHashV1 ?? swarm.infoHashV2?.subarray(0, 20);
  let found = 0;
  if (!infoHash || signal.aborted) return found;
  try {
    for await (const peer of dht.peers(infoHash, { signal })) {
      found++;
      swarm.addPeer(peer, 'dht');
    }
    await dht.announce(infoHash, { port }, { signal });
  } catch {
    // Lookup failed or was cancelled: try again next round.
  }
  return found;
}

/**
 * Runs `round` now and again: every `RELOOKUP_MS` after a round that found peers, sooner
 * (15 s, doubling) after rounds that found nobody. Timers come from `runtime.clock`.
 */
export function scheduleDhtRounds(runtime: Pick<Runtime, 'clock'>, round: () => Promise<number>, first: Promise<unknown>, o: { firstEmptyMs?: number; normalMs?: number } = {}): { stop(): void } {
  let timer: TimerHandle | undefined;
  let stopped = false;
  let empty = 0;
  const again = (found: number): void => {
    if (stopped) return;
    empty = found > 0 ? 0 : empty + 1;
    timer = runtime.clock.setTimer(reaskDelay(empty, o.normalMs ?? RELOOKUP_MS, o.firstEmptyMs ?? EMPTY_REASK_FIRST_MS), () => void round().then(again));
  };
  void first.then(round).then(again, () => undefined);
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}

/**
 * Looks the swarm's torrent up now and every few minutes. With `dht` given, that node is
 * used (and left open on stop); otherwise one is started for this swarm alone.
 */
export async function startDhtPeers(o: { runtime: Runtime; swarm: Swarm; host: string; port: number; bootstrap: readonly string[]; dht?: Dht; onIpReport?: (from: Address, seen: Address) => void }): Promise<DhtPeerSource | undefined> {
  const dht = o.dht ?? (await startDhtNode({ runtime: o.runtime, host: o.host, bootstrap: o.bootstrap, onIpReport: o.onIpReport }));
  if (!dht) return undefined;
  const controller = new AbortController();
  const round = () => dhtRound(dht, o.swarm, o.port, controller.signal);
  const bootstrapped = o.dht ? Promise.resolve() : dht.bootstrap();
  const rounds = scheduleDhtRounds(o.runtime, round, bootstrapped);
  return {
    dht,
    bootstrapped,
    stop: () => {
      controller.abort();
      rounds.stop();
      if (!o.dht) dht.close();
    },
  };
}
