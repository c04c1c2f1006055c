/**
 * `shoal sim swarm`: one origin seed and N leechers, real Shoal swarms and a real tracker on
 * the simulator, leechers arriving as a flash crowd or as a steady (Poisson) stream, with
 * access links drawn from a measured capacity distribution. Measures completion times
 * against the Qiu–Srikant fluid model, piece availability over time and the effectiveness
 * η (the share of the leechers' upload capacity they actually used while leeching).
 *
 * Other scenarios (free riders, Sybils, NAT) reuse it through `setupPeer`, which may give a
 * peer a role, swarm options of its own, or a different link.
 */
import { startTrackerServer } from '../../tracker/server.js';
import type { Random, Runtime, Streams } from '../../runtime/types.js';
import { Simulator } from '../simulator.js';
import type { SimHost } from '../host.js';
import { BHARAMBE_2006, drawCapacity, type CapacityClass } from './capacity.js';
import { DEFAULT_REGULAR_SLOTS } from '../../swarm/choker.js';
import { flashCrowdTime, heterogeneousFluidTime, multiclassFluidTimes } from './fluid.js';
import { SimClient, type SimSwarmOptions } from './sim-client.js';
import { simTorrent } from './torrent.js';

const TRACKER_PORT = 6969;
/** Time between a departing client's stop and its host leaving the network (its `stopped` announce gets out). */
const LEAVE_GRACE_MS = 5_000;

export interface PeerSetup {
  /** A label the results are grouped by (default 'leecher'). */
  readonly role?: string;
  readonly capacity?: CapacityClass;
  readonly swarm?: SimSwarmOptions;
  /** Whether the peer counts in the headline figures (default true). */
  readonly measured?: boolean;
  /** A lying Sybil (announces every piece, sends none): never finishes, never leaves. */
  readonly liar?: boolean;
}

export interface ClientSetup {
  readonly runtime?: Runtime;
  readonly swarm?: SimSwarmOptions;
  /** Peers asked of the tracker per announce (default 50). */
  readonly numwant?: number;
  /** BEP 55 (default on); `punchStreams`: the uTP streams punches dial over (SimClientOptions). */
  readonly holepunch?: boolean;
  readonly punchStreams?: Streams;
  /** Called once the client listens and its torrent was added. */
  readonly onStarted?: (client: SimClient) => void;
}

export interface SwarmScenarioOptions {
  /** Leechers (the origin seed comes on top). */
  readonly peers: number;
  readonly arrival: 'flash' | 'steady';
  /** Steady arrivals: peers per second (default: peers / 200, so arrivals span 200 s). */
  readonly arrivalRatePerS?: number;
  /** Flash crowd: arrivals spread uniformly over this window (default 10 s). */
  readonly flashWindowS?: number;
  readonly fileBytes?: number;
  readonly pieceLength?: number;
  /** The origin seed's upload, bits/s (default 5 Mbit/s). */
  readonly seedUploadBps?: number;
  readonly capacities?: readonly CapacityClass[];
  /** Mean time a finished peer keeps seeding (exponential; default 0: it leaves at once). */
  readonly lingerMeanS?: number;
  readonly picker?: 'rarest' | 'random';
  readonly choker?: 'tit-for-tat' | 'random';
  readonly seed?: number;
  /** Give up after this much virtual time (default 3,600 s). */
  readonly maxVirtualS?: number;
  /** Piece availability sampling period (default 5 s). */
  readonly sampleEveryS?: number;
  /** Per-peer overrides (roles, free riders, Sybils). */
  readonly setupPeer?: (index: number, random: Random) => PeerSetup;
  /** Called with each client once created (index -1: the origin seed): diagnostics read its snapshots. */
  readonly onClient?: (index: number, client: SimClient) => void;
  /** Called with each leecher's host once created (NAT scenarios). */
  readonly onHost?: (index: number, host: SimHost) => void;
  /** A client's runtime, hole punching and extra swarm options (index -1: the origin seed), e.g. uTP and BEP 55 for the NAT scenario. */
  readonly clientSetup?: (index: number, host: SimHost) => ClientSetup;
  /** Called after each sampling period (progress bars). */
  readonly onProgress?: (p: { readonly tS: number; readonly arrived: number; readonly finished: number; readonly present: number; readonly events: number }) => void;
  /** Wall clock for `wallS` (the CLI passes performance.now; protocol code reads no clock). */
  readonly wallClock?: () => number;
}

export interface PeerRecord {
  readonly index: number;
  readonly role: string;
  readonly measured: boolean;
  readonly capacity: string;
  readonly uploadBps: number;
  readonly downloadBps: number;
  readonly arrivedS: number;
  completedS: number | undefined;
  /** Payload bytes uploaded before completing (handed to the stream; -1 if it never completed). */
  uploadedWhileLeeching: number;
  /** Duplicate payload bytes it received (late answers to timed-out requests, end game) before completing. */
  wastedBytes: number;
  /** Seconds from arrival to its first verified piece (the start-up the fluid model leaves out). */
  firstPieceS: number | undefined;
  /** Seconds from its second-to-last verified piece to completion (the last piece, end game). */
  lastPieceS: number | undefined;
}

export interface MulticlassReference {
  /** The share of a leecher's upload its regular slots give back (n_u/(n_u+1); 0 with the random choker). */
  readonly reciprocalShare: number;
  /** The model's mean over arrivals, s. */
  readonly meanS: number;
  /** meanCompletionS / meanS. */
  readonly ratio: number;
  /** Per class: its share of the measured arrivals, the model's time and the measured mean (headline window). */
  readonly byClass: Record<string, { readonly share: number; readonly modelS: number; readonly measuredS: number }>;
}

export interface AvailabilitySample {
  readonly tS: number;
  readonly leechers: number;
  /** Copies of the rarest piece among the peers present (origin seed included). */
  readonly minCopies: number;
  readonly meanCopies: number;
}

export interface SwarmScenarioResult {
  readonly peers: number;
  readonly arrival: 'flash' | 'steady';
  readonly picker: 'rarest' | 'random';
  readonly choker: 'tit-for-tat' | 'random';
  readonly completed: number;
  /** Mean completion (download) time of the measured peers, s (steady: the middle 70% of arrivals). */
  readonly meanCompletionS: number;
  readonly medianCompletionS: number;
  readonly p95CompletionS: number;
  /** The fluid model's download time with η = 1 (steady: Qiu–Srikant T; flash: the service-capacity bound). */
  readonly fluidMeanCompletionS: number;
  /** meanCompletionS / fluidMeanCompletionS. */
  readonly ratioToFluid: number;
  /**
   * The fluid model's time with η set to the `effectiveness` measured (steady arrivals; the
   * flash bound scales the leechers' upload by η): how much of the gap is η alone.
   */
  readonly fluidAtMeasuredEtaS: number;
  /** η measured: leechers' upload while leeching over their capacity in that time. */
  readonly effectiveness: number;
  /** Duplicate bytes received over all payload received, by the leechers that completed. */
  readonly wastedShare: number;
  /** Mean over the headline peers of the time to their first piece, s. */
  readonly meanFirstPieceS: number;
  /** Mean over the headline peers of the time their last piece took, s. */
  readonly meanLastPieceS: number;
  readonly meanCompletionByClassS: Record<string, number>;
  /**
   * Steady arrivals: the multiclass fluid model for the allocation the choker implements
   * (`multiclassFluidTimes`; tit-for-tat: reciprocal share n_u/(n_u+1); random: 0, pooled)
   * beside the measured means, per capacity class. Undefined for a flash crowd.
   */
  readonly multiclass: MulticlassReference | undefined;
  readonly availability: readonly AvailabilitySample[];
  readonly records: readonly PeerRecord[];
  readonly fileBytes: number;
  readonly pieces: number;
  readonly seed: number;
  readonly virtualS: number;
  readonly events: number;
  readonly wallS: number;
}

export async function runSwarmScenario(o: SwarmScenarioOptions): Promise<SwarmScenarioResult> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const seed = o.seed ?? 1;
  const fileBytes = o.fileBytes ?? 4 * 1024 * 1024;
  const pieceLength = o.pieceLength ?? 64 * 1024;
  const seedUploadBps = o.seedUploadBps ?? 5e6;
  const classes = o.capacities ?? BHARAMBE_2006;
  const picker = o.picker ?? 'rarest';
  const choker = o.choker ?? 'tit-for-tat';
  const lingerMs = (o.lingerMeanS ?? 0) * 1000;
  const maxMs = (o.maxVirtualS ?? 3600) * 1000;
  const rate = o.arrivalRatePerS ?? o.peers / 200;
  const sim = new Simulator({ seed, yieldMode: 'microtasks' });
  const torrent = simTorrent(fileBytes, pieceLength);

  const trackerHost = sim.createHost();
  // Binding needs the simulator running: start, run a moment, then take the result.
  const trackerStarting = startTrackerServer({ runtime: trackerHost.runtime, udp: { host: trackerHost.address, port: TRACKER_PORT }, intervalSeconds: 300, maxNumwant: 200 });
  const trackerUrl = `udp://${trackerHost.address}:${TRACKER_PORT}`;
  const baseSwarm: SimSwarmOptions = {
    picker: picker === 'random' ? { randomFirstPieces: Infinity } : undefined,
    choker: { policy: choker },
  };
  const originHost = sim.createHost({ uploadBps: seedUploadBps, downloadBps: seedUploadBps });
  const originSetup = o.clientSetup?.(-1, originHost) ?? {};
  const origin = new SimClient({ ...originSetup, host: originHost, torrent, seed: true, trackerUrl, swarm: { ...baseSwarm, ...originSetup.swarm } });
  o.onClient?.(-1, origin);
  const originStarting = origin.start();
  await sim.runFor(1);
  const tracker = await trackerStarting;
  await originStarting;

  const records: PeerRecord[] = [];
  const present = new Set<SimClient>([origin]);
  let finished = 0;
  // Arrival times are drawn up front from the scenario's random stream.
  const arrivals: number[] = [];
  let t = 0;
  for (let i = 0; i < o.peers; i++) {
    if (o.arrival === 'flash') arrivals.push(sim.random.next() * (o.flashWindowS ?? 10) * 1000);
    else {
      t += (-Math.log(1 - sim.random.next()) / rate) * 1000;
      arrivals.push(t);
    }
  }
  arrivals.sort((a, b) => a - b);

  const join = (i: number): void => {
    const setup = o.setupPeer?.(i, sim.random) ?? {};
    const cap = setup.capacity ?? drawCapacity(classes, sim.random);
    const host = sim.createHost({ uploadBps: cap.uploadBps, downloadBps: cap.downloadBps });
    o.onHost?.(i, host);
    const extra = o.clientSetup?.(i, host) ?? {};
    const rec: PeerRecord = {
      index: i, role: setup.role ?? 'leecher', measured: setup.measured ?? true, capacity: cap.name,
      uploadBps: cap.uploadBps, downloadBps: cap.downloadBps, arrivedS: sim.now / 1000, completedS: undefined, uploadedWhileLeeching: 0, wastedBytes: 0,
      firstPieceS: undefined, lastPieceS: undefined,
    };
    records.push(rec);
    let prevPieceS = 0;
    const setupEvent = setup.swarm?.onEvent ?? extra.swarm?.onEvent;
    const client = new SimClient({
      ...extra, host, torrent, trackerUrl, liar: setup.liar,
      swarm: {
        ...baseSwarm, ...extra.swarm, ...setup.swarm, choker: { ...baseSwarm.choker, ...setup.swarm?.choker },
        onEvent: (e) => {
          if (e.type === 'piece-verified') {
            const at = sim.now / 1000 - rec.arrivedS;
            rec.firstPieceS ??= at;
            if (rec.completedS === undefined) rec.lastPieceS = at - prevPieceS;
            prevPieceS = at;
          }
          setupEvent?.(e);
        },
      },
      onComplete: (c) => {
        if (setup.liar) return;
        rec.completedS = sim.now / 1000 - rec.arrivedS;
        const st = c.swarm.stats();
        rec.uploadedWhileLeeching = st.uploaded;
        rec.wastedBytes = st.wasted;
        finished++;
        const stay = lingerMs > 0 ? -Math.log(1 - sim.random.next()) * lingerMs : 0;
        sim.schedule(stay, () => leave(c));
      },
    });
    present.add(client);
    o.onClient?.(i, client);
    void client.start();
  };
  const leave = (c: SimClient): void => {
    present.delete(c);
    c.stop();
    sim.schedule(LEAVE_GRACE_MS, () => sim.removeHost(c.host));
  };
  arrivals.forEach((at, i) => sim.schedule(at, () => join(i)));

  const availability: AvailabilitySample[] = [];
  const pieces = torrent.pieceCount;
  const copies = new Int32Array(pieces);
  const sample = (): void => {
    copies.fill(0);
    let leechers = 0;
    for (const c of present) {
      if (!c.started || !c.swarm.stats().complete) leechers++;
      for (let p = 0; p < pieces; p++) if (c.storage.hasPiece(p)) copies[p]++;
    }
    let min = Infinity, sum = 0;
    for (let p = 0; p < pieces; p++) {
      min = Math.min(min, copies[p]);
      sum += copies[p];
    }
    availability.push({ tS: sim.now / 1000, leechers, minCopies: min, meanCopies: sum / pieces });
  };
  const sampleMs = (o.sampleEveryS ?? 5) * 1000;
  while (sim.now < maxMs) {
    sample();
    await sim.runFor(sampleMs);
    o.onProgress?.({ tS: sim.now / 1000, arrived: records.length, finished, present: present.size, events: sim.eventsProcessed });
    if (records.length === o.peers && finished === records.filter((r) => r.role !== 'sybil').length) break;
  }
  sample();
  for (const rec of records) if (rec.completedS === undefined) rec.uploadedWhileLeeching = -1;
  for (const c of present) c.stop();
  tracker.core.stop();
  await sim.runFor(LEAVE_GRACE_MS);

  // Headline: measured peers that finished; steady arrivals: the middle 70% (no warm-up, no drain).
  const measured = records.filter((r) => r.measured);
  const window = o.arrival === 'steady' ? measured.slice(Math.floor(measured.length * 0.2), Math.ceil(measured.length * 0.9)) : measured;
  const done = window.filter((r) => r.completedS !== undefined).map((r) => r.completedS!).sort((a, b) => a - b);
  const mean = done.length ? done.reduce((a, b) => a + b, 0) / done.length : NaN;
  const leecherUp = measured.map((r) => r.uploadBps);
  const meanUp = leecherUp.reduce((a, b) => a + b, 0) / Math.max(1, leecherUp.length);
  const fileBits = fileBytes * 8;
  let used = 0, capacity = 0;
  for (const r of measured) {
    if (r.completedS === undefined) continue;
    used += r.uploadedWhileLeeching;
    capacity += (r.uploadBps / 8) * r.completedS;
  }
  const eta = capacity > 0 ? used / capacity : NaN;
  const fluidAt = (effectiveness: number): number => o.arrival === 'steady'
    ? heterogeneousFluidTime({ arrivalRate: rate, upload: meanUp / fileBits, seedLeaveRate: lingerMs > 0 ? 1000 / lingerMs : Infinity, originUpload: seedUploadBps / fileBits, effectiveness }, measured.map((r) => r.downloadBps / fileBits))
    : flashCrowdTime(o.peers, fileBytes, seedUploadBps, records.map((r) => r.uploadBps * effectiveness), measured.map((r) => r.downloadBps));
  const fluid = fluidAt(1);
  const byClass: Record<string, number> = {};
  for (const cls of new Set(window.map((r) => r.capacity))) {
    const xs = window.filter((r) => r.capacity === cls && r.completedS !== undefined).map((r) => r.completedS!);
    if (xs.length) byClass[cls] = xs.reduce((a, b) => a + b, 0) / xs.length;
  }
  const multiclass = o.arrival === 'steady'
    ? multiclassReference(measured, byClass, mean, { arrivalRate: rate, fileBits, originBps: seedUploadBps, seedLeaveRate: lingerMs > 0 ? 1000 / lingerMs : Infinity, reciprocalShare: choker === 'random' ? 0 : DEFAULT_REGULAR_SLOTS / (DEFAULT_REGULAR_SLOTS + 1) })
    : undefined;
  return {
    peers: o.peers, arrival: o.arrival, picker, choker,
    completed: records.filter((r) => r.completedS !== undefined).length,
    meanCompletionS: mean,
    medianCompletionS: quantile(done, 0.5),
    p95CompletionS: quantile(done, 0.95),
    fluidMeanCompletionS: fluid,
    ratioToFluid: mean / fluid,
    fluidAtMeasuredEtaS: eta > 0 ? fluidAt(Math.min(1, eta)) : NaN,
    effectiveness: eta,
    wastedShare: wastedShare(measured, fileBytes),
    meanFirstPieceS: meanOf(window.map((r) => r.firstPieceS)),
    meanLastPieceS: meanOf(window.filter((r) => r.completedS !== undefined).map((r) => r.lastPieceS)),
    meanCompletionByClassS: byClass,
    multiclass,
    availability, records,
    fileBytes, pieces, seed,
    virtualS: sim.now / 1000,
    events: sim.eventsProcessed,
    wallS: (wall() - t0) / 1000,
  };
}

/** The multiclass model over the classes as drawn (shares of the measured peers), beside the measured means. */
function multiclassReference(measured: readonly PeerRecord[], byClass: Record<string, number>, mean: number, m: { arrivalRate: number; fileBits: number; originBps: number; seedLeaveRate: number; reciprocalShare: number }): MulticlassReference {
  const drawn = new Map<string, { n: number; up: number; down: number }>();
  for (const r of measured) {
    const c = drawn.get(r.capacity) ?? { n: 0, up: r.uploadBps, down: r.downloadBps };
    c.n++;
    drawn.set(r.capacity, c);
  }
  const names = [...drawn.keys()];
  const classes = names.map((k) => ({ share: drawn.get(k)!.n / measured.length, upload: drawn.get(k)!.up / m.fileBits, download: drawn.get(k)!.down / m.fileBits }));
  const model = multiclassFluidTimes({ arrivalRate: m.arrivalRate, classes, reciprocalShare: m.reciprocalShare, originUpload: m.originBps / m.fileBits, seedLeaveRate: m.seedLeaveRate });
  const out: MulticlassReference['byClass'] = {};
  names.forEach((k, i) => { out[k] = { share: classes[i].share, modelS: model.times[i], measuredS: byClass[k] ?? NaN }; });
  return { reciprocalShare: m.reciprocalShare, meanS: model.mean, ratio: mean / model.mean, byClass: out };
}

function meanOf(xs: readonly (number | undefined)[]): number {
  const ys = xs.filter((x): x is number => x !== undefined);
  return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : NaN;
}

function wastedShare(records: readonly PeerRecord[], fileBytes: number): number {
  let wasted = 0, total = 0;
  for (const r of records) {
    if (r.completedS === undefined) continue;
    wasted += r.wastedBytes;
    total += r.wastedBytes + fileBytes;
  }
  return total > 0 ? wasted / total : NaN;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
