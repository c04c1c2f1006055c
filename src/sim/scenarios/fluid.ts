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
