/**
 * The `shoal sim churn` scenario: what heavy-tailed churn does to a Mainline DHT of real
 * `dht/` nodes, with and without its repair mechanisms, independent of any swarm.
 *
 * N nodes join; A of them announce one info hash each and stay online (they stand for
 * peers of live swarms). Every other node alternates online sessions and offline spells
 * drawn from a heavy-tailed model (./sessions.ts); a node that comes back rejoins from its
 * own routing table, as a restarted client with saved state does. Throughout, random
 * online nodes look the hashes up with get_peers; a lookup succeeds when it finds the
 * announcer. Results are kept per time window, so the decay (or not) shows.
 *
 * Repair (BEP 5), three settings: `full`, nodes refresh buckets that did not change for 15
 * minutes, ping nodes quiet for a minute (`livenessPings`) and the announcers announce again
 * every `reannounceMs` (libtorrent: 15 min; stored peers live 30 min); `republish`, announces
 * are repeated but tables get neither refresh nor liveness pings (only what lookups and BEP 5
 * pings teach them remains); `none`, neither.
 */
import type { DhtNodeOptions } from '../options.js';
import { announceLookup, getPeersLookup } from '../lookups.js';
import { randomId, type NodeId } from '../node-id.js';
import { DhtSimNetwork } from './network.js';
import { drawSession, sessionMedian, SESSION_MODELS, type SessionModel } from './sessions.js';
import { quantile } from './stats.js';

export interface ChurnScenarioOptions {
  readonly nodes: number;
  /** Announced info hashes (one announcer each, always online). Default 20. */
  readonly announcers?: number;
  /** Mean session and offline spell, ms. Default 60 min. */
  readonly meanSessionMs?: number;
  /** Virtual time measured after the network is built, ms. Default 2 h. */
  readonly durationMs?: number;
  /** Results are grouped in windows of this length, ms. Default 10 min. */
  readonly windowMs?: number;
  /** get_peers lookups per window. Default 30. */
  readonly lookupsPerWindow?: number;
  /** Announcers announce again this often with repair on, ms. Default 15 min. */
  readonly reannounceMs?: number;
  /** Session models to run. Default both. */
  readonly models?: readonly SessionModel[];
  /** Repair settings to run. Default all three. */
  readonly repair?: readonly RepairMode[];
  readonly seed?: number;
  /** Median RTT of the lognormal latency model, ms. Default 100. */
  readonly medianRttMs?: number;
  /** Wall clock for the report, ms (the scenario itself runs on virtual time). */
  readonly wallClock?: () => number;
  readonly onProgress?: (label: string, fraction: number) => void;
}

export type RepairMode = 'full' | 'republish' | 'none';
export const REPAIR_MODES: readonly RepairMode[] = ['full', 'republish', 'none'];

export interface ChurnWindow {
  /** End of the window, virtual minutes since churn started. */
  readonly endMin: number;
  readonly lookups: number;
  readonly success: number;
  /** Share of nodes online at the end of the window. */
  readonly online: number;
  /** Share of routing table entries (over a sample of online nodes) pointing at offline nodes. */
  readonly staleEntries: number;
}

export interface ChurnRun {
  readonly model: SessionModel;
  readonly repair: RepairMode;
  readonly lookups: number;
  readonly lookupSuccess: number;
  /** Median virtual ms until the announcer was found (successful lookups). */
  readonly medianLatencyMs: number;
  readonly departures: number;
  readonly medianSessionMin: number;
  /** Datagrams per node per minute over the measured time. */
  readonly datagramsPerNodeMin: number;
  readonly windows: readonly ChurnWindow[];
}

export interface ChurnReport {
  /** The headline: Weibull sessions with full repair (or the first run). */
  readonly lookupSuccess: number;
  /** Same model, no bucket refresh (republishing on), when it ran. */
  readonly lookupSuccessNoRefresh: number | null;
  /** Same model, no repair at all, when it ran. */
  readonly lookupSuccessNoRepair: number | null;
  readonly nodes: number;
  readonly announcers: number;
  readonly meanSessionMin: number;
  readonly seed: number;
  readonly runs: readonly ChurnRun[];
  readonly wallMs: number;
}

const STALE_SAMPLE = 100;

export async function runChurnScenario(o: ChurnScenarioOptions): Promise<ChurnReport> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const runs: ChurnRun[] = [];
  for (const model of o.models ?? SESSION_MODELS) for (const repair of o.repair ?? REPAIR_MODES) runs.push(await runOne(o, model, repair));
  const head = runs.find((r) => r.model === 'weibull' && r.repair === 'full') ?? runs[0];
  const other = (m: RepairMode): number | null => runs.find((r) => r.model === head.model && r.repair === m)?.lookupSuccess ?? null;
  return {
    lookupSuccess: head.lookupSuccess,
    lookupSuccessNoRefresh: other('republish'),
    lookupSuccessNoRepair: other('none'),
    nodes: o.nodes,
    announcers: o.announcers ?? 20,
    meanSessionMin: (o.meanSessionMs ?? 3_600_000) / 60_000,
    seed: o.seed ?? 1,
    runs,
    wallMs: Math.round(wall() - t0),
  };
}

async function runOne(o: ChurnScenarioOptions, model: SessionModel, repair: RepairMode): Promise<ChurnRun> {
  const label = `${model}, repair: ${repair}`;
  const announcers = Math.min(o.announcers ?? 20, Math.floor(o.nodes / 4));
  const windowMs = o.windowMs ?? 10 * 60_000;
  const durationMs = o.durationMs ?? 2 * 3_600_000;
  const perWindow = o.lookupsPerWindow ?? 30;
  const reannounceMs = o.reannounceMs ?? 15 * 60_000;
  const shape = { model, meanMs: o.meanSessionMs ?? 3_600_000 };
  // Without refresh no bucket is ever refreshed and quiet nodes get no liveness pings (pings
  // of questionable nodes stay: BEP 5 housekeeping).
  const node: DhtNodeOptions = repair === 'full' ? {} : { refreshIntervalMs: Number.POSITIVE_INFINITY, livenessPings: 0 };
  const net = await DhtSimNetwork.create({ nodes: o.nodes, seed: o.seed ?? 1, medianRttMs: o.medianRttMs ?? 100, node });
  const sim = net.sim;
  net.bootstrapAll(Math.min(20, Math.max(1, 100_000 / o.nodes)));
  net.refreshAll(Math.min(60_000, o.nodes * 10));
  o.onProgress?.(label, 0);

  // Announcers: the first `announcers` nodes, never churned.
  const hashes: NodeId[] = [];
  for (let i = 0; i < announcers; i++) hashes.push(randomId(sim.random));
  const announce = (i: number): void => {
    announceLookup(net.nodes[i], hashes[i], { port: 6881 }, { onDone: () => undefined });
  };
  for (let i = 0; i < announcers; i++) sim.schedule(i, () => announce(i));
  if (repair !== 'none') for (let i = 0; i < announcers; i++) {
    const again = (): void => {
      announce(i);
      sim.schedule(reannounceMs, again);
    };
    sim.schedule(reannounceMs + i, again);
  }

  // Churn: alternating sessions and offline spells; a node starts mid-session (a residual draw is near enough for heavy tails).
  let departures = 0;
  const start = sim.now;
  const end = start + durationMs;
  const cycle = (i: number): void => {
    sim.schedule(drawSession(shape, sim.random.next()), () => {
      if (sim.now >= end) return;
      net.hosts[i].goOffline();
      departures++;
      sim.schedule(drawSession(shape, sim.random.next()), () => {
        net.hosts[i].goOnline();
        net.nodes[i].bootstrap();
        cycle(i);
      });
    });
  };
  for (let i = announcers; i < net.size; i++) cycle(i);

  // Lookups, spread evenly over each window.
  const windows: ChurnWindow[] = [];
  const latencies: number[] = [];
  let lookups = 0, found = 0;
  const d0 = sim.stats.datagramsSent;
  for (let w = 0; w * windowMs < durationMs; w++) {
    let wLookups = 0, wFound = 0, pending = 0;
    for (let j = 0; j < perWindow; j++) {
      sim.schedule(Math.max(0, w * windowMs + ((j + 0.5) * windowMs) / perWindow - (sim.now - start)), () => {
        const a = sim.random.int(announcers);
        const from = net.pick((x) => x !== a && net.online(x));
        const want = net.addresses[a].host;
        const t = sim.now;
        let hit = -1;
        pending++;
        getPeersLookup(net.nodes[from], hashes[a], {
          onPeers: (peers) => {
            if (hit < 0 && peers.some((p) => p.host === want)) hit = sim.now - t;
          },
          onDone: () => {
            pending--;
            wLookups++;
            if (hit >= 0) {
              wFound++;
              latencies.push(hit);
            }
          },
        });
      });
    }
    sim.runForSync(Math.max(0, start + (w + 1) * windowMs - sim.now));
    for (let waited = 0; pending > 0 && waited < 60_000; waited += 1000) sim.runForSync(1000);
    lookups += wLookups;
    found += wFound;
    windows.push({ endMin: Math.round(((w + 1) * windowMs) / 60_000), lookups: wLookups, success: ratio(wFound, wLookups), online: onlineShare(net), staleEntries: staleShare(net) });
    o.onProgress?.(label, Math.min(1, ((w + 1) * windowMs) / durationMs));
  }
  const minutes = (sim.now - start) / 60_000;
  return {
    model,
    repair,
    lookups,
    lookupSuccess: ratio(found, lookups),
    medianLatencyMs: Math.round(quantile(latencies, 0.5)),
    departures,
    medianSessionMin: Math.round((sessionMedian(shape) / 60_000) * 10) / 10,
    datagramsPerNodeMin: Math.round(((sim.stats.datagramsSent - d0) / net.size / minutes) * 10) / 10,
    windows,
  };
}

function ratio(a: number, b: number): number {
  return b === 0 ? NaN : Math.round((a / b) * 1e4) / 1e4;
}

function onlineShare(net: DhtSimNetwork): number {
  let n = 0;
  for (let i = 0; i < net.size; i++) if (net.online(i)) n++;
  return ratio(n, net.size);
}

/** Entries of the sampled online nodes' tables whose node is offline (or no longer has that id). */
function staleShare(net: DhtSimNetwork): number {
  let entries = 0, stale = 0;
  const step = Math.max(1, Math.floor(net.size / STALE_SAMPLE));
  for (let i = 0; i < net.size; i += step) {
    if (!net.online(i)) continue;
    for (const e of net.nodes[i].table.nodes()) {
      entries++;
      const j = net.indexOf(e.address.host);
      if (j === undefined || !net.online(j) || net.nodes[j].nodeId !== e.id) stale++;
    }
  }
  return ratio(stale, entries);
}
