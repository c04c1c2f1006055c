/**
 * The swarm half of `shoal sim churn`: leechers (real Shoal clients, a real tracker, the
 * same `SimClient` as `shoal sim swarm`) whose sessions are heavy-tailed (the DHT half's
 * Weibull or Pareto models, dht/sim/sessions.ts). A leecher that has not finished when its
 * session ends goes offline mid-download, stays away for an offline spell and comes back
 * on a new address with a new peer id, announcing `started` to the tracker and meeting
 * peers (and their PEX) again, as any restarted client does. Three runs on the same
 * arrivals, capacities and session draws:
 * - `resume` (with repair): it comes back with the pieces it had verified, as `shoal get`
 *   does after a kill (verified data on disk is kept, unverified blocks are not);
 * - `restart` (without repair): it comes back with nothing, as a client without resume data
 *   (in-memory storage, a temporary directory, a browser tab);
 * - `none`: no churn, each leecher stays until it finishes.
 * A finished leecher leaves at once (as in `shoal sim swarm` without `--linger`); the origin
 * seed stays online throughout, so the file never dies out and every difference is churn's.
 */
import { drawSession, type SessionModel, type SessionShape } from '../../dht/sim/sessions.js';
import { createRandom, type SeededRandom } from '../../runtime/random.js';
import type { Bitfield } from '../../storage/bitfield.js';
import { startTrackerServer } from '../../tracker/server.js';
import { Simulator } from '../simulator.js';
import { BHARAMBE_2006, drawCapacity, type CapacityClass } from './capacity.js';
import { SimClient } from './sim-client.js';
import { quantile } from './swarm-scenario.js';
import { simTorrent } from './torrent.js';

const TRACKER_PORT = 6969;
/** Time between a departing client's stop and its host leaving the network (its `stopped` announce gets out). */
const LEAVE_GRACE_MS = 5_000;

export type SwarmChurnMode = 'resume' | 'restart' | 'none';

export interface SwarmChurnOptions {
  readonly leechers: number;
  /** Poisson arrivals over about this window (default 100 s). */
  readonly arrivalWindowS?: number;
  readonly fileBytes?: number;
  readonly pieceLength?: number;
  /** The origin seed's upload, bits/s (default 5 Mbit/s, as `shoal sim swarm`). */
  readonly seedUploadBps?: number;
  readonly capacities?: readonly CapacityClass[];
  /** Session model (default Weibull). */
  readonly model?: SessionModel;
  /** Mean online session, s (default 60: about the download time without churn, docs/simulator.md). */
  readonly meanSessionS?: number;
  /** Mean offline spell, s (default: the mean session). */
  readonly meanOfflineS?: number;
  /** Weibull shape k (default 0.5, within Stutzbach & Rejaie's 0.34-0.59). */
  readonly weibullShape?: number;
  readonly seed?: number;
  /** Give up after this much virtual time (default 1,800 s). */
  readonly maxVirtualS?: number;
}

export interface SwarmChurnRun {
  readonly mode: SwarmChurnMode;
  readonly leechers: number;
  readonly completed: number;
  /** Share of the leechers that finished within the run. */
  readonly completionRate: number;
  /** From first arrival to completion, offline spells included, over the leechers that finished, s. */
  readonly meanCompletionS: number | null;
  readonly medianCompletionS: number | null;
  /** Median over every leecher, one that never finished counting as slowest (null when fewer than half finished). */
  readonly medianAllS: number | null;
  /** Time online from first arrival to completion (offline spells left out), over the leechers that finished, s. */
  readonly meanOnlineS: number | null;
  /** Departures before finishing. */
  readonly departures: number;
  /** Online sessions per leecher. */
  readonly sessionsPerLeecher: number;
  /** Payload downloaded over all sessions per file, mean over the leechers that finished (1 = nothing fetched twice). */
  readonly downloadedPerFile: number | null;
  readonly virtualS: number;
  readonly events: number;
}

export interface SwarmCompletion {
  readonly withRepair: SwarmChurnRun;
  readonly withoutRepair: SwarmChurnRun;
  readonly noChurn: SwarmChurnRun;
  readonly leechers: number;
  readonly model: SessionModel;
  readonly meanSessionS: number;
  readonly meanOfflineS: number;
  readonly fileBytes: number;
  readonly seed: number;
}

interface Leecher {
  readonly cap: CapacityClass;
  readonly arrivedMs: number;
  /** Session and offline draws, one stream per leecher: the same draws in every mode. */
  readonly random: SeededRandom;
  completedMs: number | undefined;
  client: SimClient | undefined;
  starting: Promise<void>;
  have: Bitfield | undefined;
  sessions: number;
  departures: number;
  downloaded: number;
  /** Online time of the sessions ended so far, and when the current one began, ms. */
  onlineMs: number;
  sessionStartMs: number;
}

/** The three runs (with repair, without, no churn) on the same draws. */
export async function runSwarmCompletion(o: SwarmChurnOptions): Promise<SwarmCompletion> {
  const meanSessionS = o.meanSessionS ?? 60;
  return {
    withRepair: await runSwarmChurn(o, 'resume'),
    withoutRepair: await runSwarmChurn(o, 'restart'),
    noChurn: await runSwarmChurn(o, 'none'),
    leechers: o.leechers,
    model: o.model ?? 'weibull',
    meanSessionS,
    meanOfflineS: o.meanOfflineS ?? meanSessionS,
    fileBytes: o.fileBytes ?? 4 * 2 ** 20,
    seed: o.seed ?? 1,
  };
}

export async function runSwarmChurn(o: SwarmChurnOptions, mode: SwarmChurnMode): Promise<SwarmChurnRun> {
  const seed = o.seed ?? 1;
  const fileBytes = o.fileBytes ?? 4 * 2 ** 20;
  const seedUploadBps = o.seedUploadBps ?? 5e6;
  const maxMs = (o.maxVirtualS ?? 1800) * 1000;
  const meanSessionS = o.meanSessionS ?? 60;
  const online: SessionShape = { model: o.model ?? 'weibull', meanMs: meanSessionS * 1000, weibullShape: o.weibullShape };
  const offline: SessionShape = { ...online, meanMs: (o.meanOfflineS ?? meanSessionS) * 1000 };
  const sim = new Simulator({ seed, yieldMode: 'microtasks' });
  const torrent = simTorrent(fileBytes, o.pieceLength ?? 64 * 1024);

  const trackerHost = sim.createHost();
  const trackerStarting = startTrackerServer({ runtime: trackerHost.runtime, udp: { host: trackerHost.address, port: TRACKER_PORT }, intervalSeconds: 300, maxNumwant: 200 });
  const trackerUrl = `udp://${trackerHost.address}:${TRACKER_PORT}`;
  const origin = new SimClient({ host: sim.createHost({ uploadBps: seedUploadBps, downloadBps: seedUploadBps }), torrent, seed: true, trackerUrl });
  const originStarting = origin.start();
  await sim.runFor(1);
  const tracker = await trackerStarting;
  await originStarting;

  // Arrivals, capacities and each leecher's stream come from the seed alone, not from the run.
  // Forked: a SeededRandom's first output ignores the seed's low 32 bits (the same for every
  // seed below 2^32), so streams seeded with nearby numbers would all start with one draw.
  const draws = createRandom(seed).fork();
  const rate = o.leechers / (o.arrivalWindowS ?? 100);
  const leechers: Leecher[] = [];
  let t = 0;
  for (let i = 0; i < o.leechers; i++) {
    t += (-Math.log(1 - draws.next()) / rate) * 1000;
    leechers.push({ cap: drawCapacity(o.capacities ?? BHARAMBE_2006, draws), arrivedMs: t, random: draws.fork(), completedMs: undefined, client: undefined, starting: Promise.resolve(), have: undefined, sessions: 0, departures: 0, downloaded: 0, onlineMs: 0, sessionStartMs: 0 });
  }
  let finished = 0;
  /** Set when the run ends: no one comes back during the final grace period. */
  let closing = false;

  const stop = (l: Leecher, c: SimClient): void => {
    l.downloaded += c.swarm.stats().downloaded;
    c.stop();
    sim.schedule(LEAVE_GRACE_MS, () => sim.removeHost(c.host));
  };
  const startSession = (l: Leecher): void => {
    if (l.completedMs !== undefined || closing) return;
    const host = sim.createHost({ uploadBps: l.cap.uploadBps, downloadBps: l.cap.downloadBps });
    const client: SimClient = new SimClient({
      host, torrent, trackerUrl,
      resume: mode === 'resume' ? l.have : undefined,
      onComplete: () => {
        if (l.completedMs !== undefined) return;
        l.completedMs = sim.now;
        finished++;
        // Not if it was already on its way out (its stop waits for its start).
        if (l.client === client) {
          l.client = undefined;
          l.onlineMs += sim.now - l.sessionStartMs;
          // Off the swarm's own event, as `shoal sim swarm` leaves.
          sim.schedule(0, () => stop(l, client));
        }
      },
    });
    l.client = client;
    l.sessions++;
    l.sessionStartMs = sim.now;
    l.starting = client.start();
    if (mode === 'none') return;
    sim.schedule(drawSession(online, l.random.next()), () => {
      if (l.client !== client) return;
      l.client = undefined;
      l.departures++;
      l.onlineMs += sim.now - l.sessionStartMs;
      // A session can end before the client has started: stop it once it has.
      void l.starting.then(() => {
        l.have = client.storage.bitfield();
        stop(l, client);
      });
      sim.schedule(drawSession(offline, l.random.next()), () => startSession(l));
    });
  };
  leechers.forEach((l) => sim.schedule(l.arrivedMs, () => startSession(l)));

  while (sim.now < maxMs && finished < leechers.length) await sim.runFor(5_000);
  closing = true;
  for (const l of leechers) {
    if (l.client === undefined) continue;
    stop(l, l.client);
    l.client = undefined;
  }
  origin.stop();
  tracker.core.stop();
  await sim.runFor(LEAVE_GRACE_MS);
  return summarise(mode, leechers, fileBytes, sim.now / 1000, sim.eventsProcessed);
}

function summarise(mode: SwarmChurnMode, leechers: readonly Leecher[], fileBytes: number, virtualS: number, events: number): SwarmChurnRun {
  const done = leechers.filter((l) => l.completedMs !== undefined);
  const times = done.map((l) => (l.completedMs! - l.arrivedMs) / 1000).sort((a, b) => a - b);
  const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const all = [...times, ...Array<number>(leechers.length - done.length).fill(Infinity)];
  const medianAll = quantile(all, 0.5);
  return {
    mode,
    leechers: leechers.length,
    completed: done.length,
    completionRate: leechers.length ? done.length / leechers.length : 0,
    meanCompletionS: mean(times),
    medianCompletionS: times.length ? quantile(times, 0.5) : null,
    medianAllS: Number.isFinite(medianAll) ? medianAll : null,
    meanOnlineS: mean(done.map((l) => l.onlineMs / 1000)),
    departures: leechers.reduce((a, l) => a + l.departures, 0),
    sessionsPerLeecher: leechers.length ? leechers.reduce((a, l) => a + l.sessions, 0) / leechers.length : 0,
    downloadedPerFile: mean(done.map((l) => l.downloaded / fileBytes)),
    virtualS, events,
  };
}
