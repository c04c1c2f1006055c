/**
 * The Qiu–Srikant fluid model of a BitTorrent swarm ("Modeling and Performance Analysis of
 * BitTorrent-Like Peer-to-Peer Networks", SIGCOMM 2004). With leechers x and seeds y,
 * arrival rate λ, per-peer upload μ and download c (in files per second), abort rate θ,
 * seed departure rate γ and effectiveness η (the share of a leecher's upload that is used),
 * the steady state has download time
 *
 *   T = 1 / (θ + β),   1/β = max(1/c, (1/η)(1/μ − 1/γ))
 *
 * independent of λ. The swarm simulator also has an origin seed uploading s files/s, which
 * the paper's model does not: it is extra service capacity, so in the upload-bound regime
 * x·η·μ + y·μ + s = λ, i.e. 1/β = (1/η)(1/μ − 1/γ − s/(λμ)). With s = 0 this is the paper's.
 */

export interface FluidParams {
  /** Peers arriving per second (λ). */
  readonly arrivalRate: number;
  /** Mean leecher upload, files per second (μ). */
  readonly upload: number;
  /** Mean leecher download, files per second (c). */
  readonly download: number;
  /** Rate at which a finished peer stops seeding, 1/s (γ); Infinity: it leaves at once. */
  readonly seedLeaveRate: number;
  /** Abort rate θ (default 0). */
  readonly abortRate?: number;
  /** Effectiveness η in (0, 1] (default 1: every leecher's upload is used). */
  readonly effectiveness?: number;
  /** Origin seeds' upload, files per second (default 0). */
  readonly originUpload?: number;
}

/** Steady-state mean download time T, seconds. */
export function fluidDownloadTime(p: FluidParams): number {
  const eta = p.effectiveness ?? 1;
  const theta = p.abortRate ?? 0;
  const s = p.originUpload ?? 0;
  const uploadBound = Math.max(0, (1 / eta) * (1 / p.upload - 1 / p.seedLeaveRate - s / (p.arrivalRate * p.upload)));
  const invBeta = Math.max(1 / p.download, uploadBound);
  return 1 / (theta + 1 / invBeta);
}

/**
 * Heterogeneous peers: the upload-bound term is the swarm's (mean μ over the population,
 * as in the model's aggregate balance), but a peer cannot download faster than its own
 * link: T_i = max(1/c_i, upload bound), and the mean download time is the mean of T_i.
 * With identical peers this is `fluidDownloadTime`.
 */
export function heterogeneousFluidTime(p: Omit<FluidParams, 'download'>, downloads: readonly number[]): number {
  const uploadBound = fluidDownloadTime({ ...p, download: Infinity });
  let sum = 0;
  for (const c of downloads) sum += Math.max(1 / c, uploadBound);
  return sum / downloads.length;
}

/**
 * A flash crowd of n peers arriving together has no steady state; the fluid bound on the
 * swarm is the time to push n copies through the total upload (origin plus every leecher).
 * A peer also needs at least its own link's time for one copy: its finish is the larger of
 * the two, and the mean finish is the mean over peers.
 */
export function flashCrowdTime(n: number, fileBytes: number, originUploadBps: number, leecherUploadBps: readonly number[], downloadBps: readonly number[]): number {
  let total = originUploadBps;
  for (const u of leecherUploadBps) total += u;
  const serve = (n * fileBytes * 8) / total;
  let sum = 0;
  for (const c of downloadBps) sum += Math.max(serve, (fileBytes * 8) / c);
  return sum / downloadBps.length;
}

/**
 * One class of peers in the multiclass model: its share of arrivals and its links, in files
 * per second.
 */
export interface PeerClass {
  readonly share: number;
  readonly upload: number;
  readonly download: number;
}

export interface MulticlassParams {
  /** Peers arriving per second, all classes together (λ). */
  readonly arrivalRate: number;
  readonly classes: readonly PeerClass[];
  /**
   * The share a of each leecher's upload given back to those who give to it (tit-for-tat's
   * regular slots): a = n_u / (n_u + 1) for n_u regular slots and one optimistic unchoke;
   * 0: every leecher's upload is pooled and shared equally (the Qiu–Srikant allocation).
   */
  readonly reciprocalShare: number;
  /** Origin seeds' upload, files per second (default 0). */
  readonly originUpload?: number;
  /** Rate at which a finished peer stops seeding, 1/s (default Infinity: it leaves at once). */
  readonly seedLeaveRate?: number;
}

export interface MulticlassResult {
  /** Steady-state download time of each class, s (same order as `classes`). */
  readonly times: readonly number[];
  /** The mean over arrivals (Σ share_i · T_i), s. */
  readonly mean: number;
  /** Leechers of each class present in the steady state (Little's law: λ · share_i · T_i). */
  readonly present: readonly number[];
}

/**
 * Multiclass fluid model of a swarm under a given allocation rule, in steady state.
 *
 * The allocation is tit-for-tat's as Fan, Chiu and Lui model it ("The Delicate Tradeoffs in
 * BitTorrent-like File Sharing Protocol Design", ICNP 2006) and Liao, Papadopoulos and
 * Psounis ("Performance Analysis of BitTorrent-like Systems with Heterogeneous Users",
 * Performance 2007): a class-i leecher gets back the share a of its own upload μ_i through
 * its regular slots (partners of its own class reciprocate at its rate), and the rest of
 * everyone's upload (optimistic unchokes: (1 − a) of each leecher's; the origin seed's and
 * lingering seeds' round robin) is spread evenly over the leechers present:
 *
 *   d_i = min(c_i, a·μ_i + L),   L = the even share (water-filled: a peer at its link c_i
 *                                    takes no more, the rest goes to the others)
 *
 * Clévenot-Perronnin, Nain and Ross ("Multiclass P2P networks: static resource allocation
 * for service differentiation and bandwidth diversity", Performance Evaluation 2005) write
 * the same kind of system as one fluid equation per class, dx_i/dt = λ_i − x_i·d_i. In
 * steady state each class's leechers present are x_i = λ_i / d_i (Little's law: the classes
 * that download slower are over-represented among those present), and the swarm's upload
 * is all used: Σ_i x_i·μ_i + s + Σ_i y_i·μ_i = Σ_i x_i·d_i = λ, with y_i = λ_i/γ lingering
 * seeds. That balance fixes L (its left side falls as L rises: bisection). If even every
 * leecher at its link leaves upload over, the swarm is download-bound: d_i = c_i.
 *
 * With a = 0 this is `fluidDownloadTime`'s pooled upload bound (T = 1/μ̄ − 1/γ − s/(λμ̄) for
 * μ̄ the arrivals' mean upload) where no link binds; with identical peers every a gives it.
 */
export function multiclassFluidTimes(p: MulticlassParams): MulticlassResult {
  const a = p.reciprocalShare;
  const lambda = p.arrivalRate;
  const s = p.originUpload ?? 0;
  const gamma = p.seedLeaveRate ?? Infinity;
  const cls = p.classes;
  const total = cls.reduce((x, c) => x + c.share, 0);
  const shares = cls.map((c) => c.share / total);
  // Lingering seeds' upload (λ_i/γ of them per class) joins the even share.
  let seeds = 0;
  for (let i = 0; i < cls.length; i++) seeds += (lambda * shares[i] * cls[i].upload) / gamma;
  const rates = (level: number): number[] => cls.map((c) => Math.min(c.download, a * c.upload + level));
  // Upload supplied (leechers present at these rates, seeds) over the demand λ.
  const surplus = (level: number): number => {
    const d = rates(level);
    let supply = s + seeds;
    for (let i = 0; i < cls.length; i++) supply += (lambda * shares[i] * cls[i].upload) / d[i];
    return supply - lambda;
  };
  const top = Math.max(...cls.map((c) => c.download));
  let level: number;
  if (surplus(top) >= 0) level = top; // download-bound
  else {
    let lo = 0, hi = top;
    for (let k = 0; k < 200; k++) {
      const mid = (lo + hi) / 2;
      if (surplus(mid) > 0) lo = mid;
      else hi = mid;
    }
    level = (lo + hi) / 2;
  }
  const times = rates(level).map((d) => 1 / d);
  return {
    times,
    mean: times.reduce((x, t, i) => x + shares[i] * t, 0),
    present: times.map((t, i) => lambda * shares[i] * t),
  };
}
