/**
 * A torrent's web seeds (BEP 19): which URLs are used, what each is asked for, and what is
 * done with the answers. A web seed is a picker client like a peer that has every piece and
 * never chokes: it takes a piece the picker hands out (a piece nobody else is fetching, or
 * the unrequested rest of one in progress), extends the run with the following pieces nobody
 * has started, up to `maxRequestBytes`, and asks for the run as one `Range` request per file
 * it touches: never one request per block. The blocks go through the same intake as a
 * peer's (`takeBlock`), so they are verified alike; a web seed whose data fails the hash is
 * dropped for this torrent, a failing one backs off (util/backoff.ts), a 503 waits its
 * Retry-After, a 404 drops the URL.
 */
import type { Runtime } from '../runtime/types.js';
import type { Torrent } from '../metainfo/torrent.js';
import { reaskDelay } from '../util/backoff.js';
import { availableAcross, consumeAcross, delayAcross } from './rate-limit.js';
import { BLOCK_LENGTH, type BlockRef } from './piece-picker.js';
import { serveWaiting, takeBlock, writeBacklogFull, type TransferContext } from './transfer.js';
import { fetchRange, type RangeFetchLimits, type RangeResult } from './webseed-fetch.js';
import { WebSeedSession, type WebSeedJob } from './webseed-session.js';
import { parseWebSeedUrl, planRanges } from './webseed-url.js';

export interface WebSeedOptions {
  /** Web seeds of one torrent used at once; the others wait until one is dropped (default 4). */
  readonly maxWebSeeds?: number;
  /** Range requests in flight per web seed (default 2). */
  readonly requestsPerWebSeed?: number;
  /** Bytes one request asks for at most: adjacent pieces are coalesced up to this (default 4 MiB; at least one piece). */
  readonly maxRequestBytes?: number;
  /** Redirects followed per request (default 3). */
  readonly maxRedirects?: number;
  /** A server ignoring `Range` (200, whole file) is used only while the file is at most this big (default 8 MiB). */
  readonly maxUnrangedBodyBytes?: number;
  /** The longest Retry-After (503) obeyed (default 1 h). */
  readonly maxRetryAfterMs?: number;
  /** Deadline of one request (default 120 s). */
  readonly requestTimeoutMs?: number;
  /** The longest back-off after failures (default 10 min); it starts at 15 s and doubles. */
  readonly maxBackoffMs?: number;
  /** Requests in flight across a session's torrents: a shared counter the web seeds update (default: none). */
  readonly shared?: { readonly max: number; count: number };
}

export const WEBSEED_DEFAULTS: Required<Omit<WebSeedOptions, 'shared'>> = {
  maxWebSeeds: 4,
  requestsPerWebSeed: 2,
  maxRequestBytes: 4 * 1024 * 1024,
  maxRedirects: 3,
  maxUnrangedBodyBytes: 8 * 1024 * 1024,
  maxRetryAfterMs: 60 * 60_000,
  requestTimeoutMs: 120_000,
  maxBackoffMs: 10 * 60_000,
};

/** One web seed as reports see it (a copy). */
export interface WebSeedSnapshot {
  readonly url: string;
  readonly downloadRate: number;
  /** Payload bytes it sent. */
  readonly downloaded: number;
  /** Range requests in flight now, and sent in all. */
  readonly requests: number;
  readonly requestsSent: number;
  /** No requests before this clock time (back-off, Retry-After). */
  readonly retryAt: number | undefined;
  /** Why it is no longer used for this torrent. */
  readonly dropped: string | undefined;
  readonly lastError: string | undefined;
}

/** What web seeds report to the swarm's owner. */
export type WebSeedEvent =
  | { readonly type: 'webseed-dropped'; readonly url: string; readonly reason: string }
  | { readonly type: 'webseed-backoff'; readonly url: string; readonly reason: string; readonly retryInMs: number };

/** What the web seeds need of the swarm: the transfer context plus a way to report. */
export interface WebSeedContext extends TransferContext {
  readonly runtime: Runtime;
  onWebSeedEvent(event: WebSeedEvent): void;
}

export class WebSeeds {
  private readonly seeds: WebSeedSession[] = [];
  /** The web seeds counted as seeds in the picker. */
  private readonly counted = new Set<WebSeedSession>();
  private readonly o: Required<Omit<WebSeedOptions, 'shared'>>;
  private readonly shared: { readonly max: number; count: number } | undefined;
  private readonly fetchLimits: RangeFetchLimits;
  private stopped = false;

  constructor(private readonly ctx: WebSeedContext, private readonly torrent: Torrent, urls: readonly string[], options: WebSeedOptions = {}) {
    const { shared, ...rest } = options;
    this.o = { ...WEBSEED_DEFAULTS, ...rest };
    this.shared = shared;
    this.fetchLimits = { maxRedirects: this.o.maxRedirects, maxUnrangedBodyBytes: this.o.maxUnrangedBodyBytes, maxRetryAfterMs: this.o.maxRetryAfterMs, requestTimeoutMs: this.o.requestTimeoutMs };
    const now = ctx.runtime.clock.now();
    const seen = new Set<string>();
    for (const url of urls) {
      if (seen.has(url)) continue;
      seen.add(url);
      const ws = new WebSeedSession(url, now);
      try {
        parseWebSeedUrl(url);
      } catch (e) {
        ws.dropped = (e as Error).message; // BEP 19: a protocol we do not know is ignored
      }
      this.seeds.push(ws);
    }
    this.countSeeds();
  }

  /**
   * The web seeds in use count as seeds in the picker: with no peer at all, a piece is
   * startable only when someone has it. A dropped one is uncounted and the next takes its place.
   */
  private countSeeds(): void {
    const picker = this.ctx.picker;
    if (!picker) return;
    const active = new Set(this.active());
    for (const ws of [...this.counted]) if (!active.has(ws)) {
      this.counted.delete(ws);
      picker.removeSeed();
    }
    for (const ws of active) if (!this.counted.has(ws)) {
      this.counted.add(ws);
      picker.addSeed();
    }
  }

  /** Every web seed, dropped ones included (snapshots for reports). */
  list(): readonly WebSeedSession[] {
    return this.seeds;
  }

  /** The web seeds in use: the first `maxWebSeeds` not dropped. */
  private active(): WebSeedSession[] {
    return this.seeds.filter((s) => s.dropped === undefined).slice(0, this.o.maxWebSeeds);
  }

  /** Snapshots of every web seed, dropped ones included (for reports). */
  snapshot(now: number): WebSeedSnapshot[] {
    return this.seeds.map((w) => ({ url: w.url, downloadRate: w.download.rate(now), downloaded: w.download.total, requests: w.jobs.size, requestsSent: w.requests, retryAt: Number.isFinite(w.retryAt) && w.retryAt > now ? w.retryAt : undefined, dropped: w.dropped, lastError: w.lastError }));
  }

  /** Download rate over all web seeds. */
  rate(now: number): number {
    let r = 0;
    for (const s of this.seeds) r += s.download.rate(now);
    return r;
  }

  /** Gives every usable web seed work, up to its request limit. */
  refill(): void {
    const ctx = this.ctx, picker = ctx.picker;
    if (this.stopped || !picker || !ctx.storage || picker.done || writeBacklogFull(ctx)) return;
    const now = ctx.runtime.clock.now();
    for (const ws of this.active()) {
      if (ws.retryAt > now) continue;
      while (ws.jobs.size < this.o.requestsPerWebSeed) {
        if (this.shared && this.shared.count >= this.shared.max) return;
        if (ctx.limits.download.length > 0 && availableAcross(ctx.limits.download) < BLOCK_LENGTH) {
          ctx.wakeAfter(delayAcross(ctx.limits.download, this.torrent.pieceLength));
          return;
        }
        // Under a download limit a run asks for what the limit allows now (one piece at least), not 4 MiB of debt.
        const budget = ctx.limits.download.length > 0 ? Math.min(this.o.maxRequestBytes, availableAcross(ctx.limits.download)) : this.o.maxRequestBytes;
        const run = this.pickRun(ws, budget);
        if (!run) break;
        this.start(ws, run);
      }
    }
  }

  /**
   * Work for one request slot: a piece from the picker (as a seed would get it), extended
   * with the next pieces nobody has started while the run stays under `maxRequestBytes`.
   * Returns contiguous runs (a partial piece's remaining blocks may have holes).
   */
  private pickRun(ws: WebSeedSession, maxBytes: number): BlockRef[] | undefined {
    const picker = this.ctx.picker!, t = this.torrent;
    const perPiece = Math.ceil(t.pieceLength / BLOCK_LENGTH);
    const first = picker.pick({ peer: ws, has: { has: () => true }, isSeed: true, outstanding: ws.jobs.size }, perPiece);
    if (first.length === 0) return undefined;
    // One run per request slot: blocks past a hole (a partial piece's blocks others fetch) go back.
    const [run, ...rest] = contiguousRuns(first, t.pieceLength);
    for (const r of rest) for (const b of r) picker.requestDropped(b, ws);
    let bytes = run.reduce((n, b) => n + b.length, 0);
    for (let next = run[run.length - 1].index + 1; next < t.pieceCount; next++) {
      const tail = run[run.length - 1];
      // Only a run that ends where the next piece begins (no pad tail between) is extended.
      if (tail.index * t.pieceLength + tail.begin + tail.length !== next * t.pieceLength) break;
      if (bytes + picker.wireBytes(next) > maxBytes) break;
      const more = picker.takePiece(next, ws);
      if (more.length === 0) break;
      run.push(...more);
      bytes += picker.wireBytes(next);
    }
    return run;
  }

  private start(ws: WebSeedSession, blocks: BlockRef[]): void {
    const ctx = this.ctx, t = this.torrent;
    const offset = blocks[0].index * t.pieceLength + blocks[0].begin;
    const lastBlock = blocks[blocks.length - 1];
    const length = lastBlock.index * t.pieceLength + lastBlock.begin + lastBlock.length - offset;
    const job: WebSeedJob = { blocks, offset, length, abort: new AbortController() };
    ws.jobs.add(job);
    if (this.shared) this.shared.count++;
    // The download limit is charged when we ask, as for a peer's requests.
    if (ctx.limits.download.length > 0) consumeAcross(ctx.limits.download, length);
    void this.run(ws, job).then((r) => this.finish(ws, job, r), (e: unknown) => this.finish(ws, job, { kind: 'failed', reason: e instanceof Error ? e.message : String(e) }));
  }

  /** Fetches a run: one request per file it touches, pad bytes (BEP 47) filled with zeros. */
  private async run(ws: WebSeedSession, job: WebSeedJob): Promise<RangeResult> {
    const http = this.ctx.runtime.http;
    if (!http) return { kind: 'gone', reason: 'this runtime has no HTTP client' };
    const body = new Uint8Array(job.length);
    for (const part of planRanges(ws.url, this.torrent, job.offset, job.length)) {
      if (part.url === undefined) continue; // pad: zeros
      ws.requests++;
      const r = await fetchRange(http, part.url, part.fileOffset, part.length, this.fetchLimits, (ms, fn) => this.ctx.runtime.clock.setTimer(ms, fn), job.abort.signal);
      if (r.kind !== 'data') return r;
      body.set(r.body, part.spaceOffset - job.offset);
    }
    return { kind: 'data', body };
  }

  private finish(ws: WebSeedSession, job: WebSeedJob, r: RangeResult): void {
    if (!ws.jobs.delete(job)) return; // dropped or stopped meanwhile: its blocks went back, its slot too
    if (this.shared) this.shared.count--;
    const ctx = this.ctx, picker = ctx.picker;
    if (this.stopped || !picker) return;
    const now = ctx.runtime.clock.now();
    if (r.kind === 'data') {
      ws.failures = 0;
      ws.download.add(r.body.length, now);
      for (const b of job.blocks) {
        const at = b.index * this.torrent.pieceLength + b.begin - job.offset;
        takeBlock(ctx, ws, b.index, b.begin, r.body.subarray(at, at + b.length));
      }
      serveWaiting(ctx); // its requested bytes are free again: peers waiting for room under the cap get them
    } else {
      for (const b of job.blocks) picker.requestDropped(b, ws);
      ws.lastError = r.reason;
      if (r.kind === 'gone') this.drop(ws, r.reason);
      else {
        const wait = r.kind === 'retry-after' ? r.ms : reaskDelay(++ws.failures, this.o.maxBackoffMs);
        ws.retryAt = Math.max(ws.retryAt, now + wait);
        ctx.onWebSeedEvent({ type: 'webseed-backoff', url: ws.url, reason: r.reason, retryInMs: wait });
      }
      // Other sources take the blocks it gave back.
      ctx.refillAll();
    }
    this.refill();
  }

  /** Stops using a web seed for this torrent (bad data, 404, a broken server); its requests go back to the picker. */
  drop(ws: WebSeedSession, reason: string): void {
    if (ws.dropped !== undefined) return;
    const wasActive = this.counted.has(ws);
    ws.dropped = reason;
    const picker = this.ctx.picker;
    for (const job of ws.jobs) {
      job.abort.abort();
      if (this.shared) this.shared.count--;
      if (picker) for (const b of job.blocks) picker.requestDropped(b, ws);
    }
    ws.jobs.clear();
    if (wasActive) this.countSeeds();
    this.ctx.onWebSeedEvent({ type: 'webseed-dropped', url: ws.url, reason });
    this.ctx.refillAll();
    this.refill();
  }

  /** Stops every request (the swarm stops). */
  stop(): void {
    this.stopped = true;
    for (const ws of this.seeds) {
      for (const job of ws.jobs) {
        job.abort.abort();
        if (this.shared) this.shared.count--;
      }
      ws.jobs.clear();
    }
  }
}

/** True when block `b` starts where block `a` ends in the piece space. */
function adjacent(a: BlockRef, b: BlockRef, pieceLength: number): boolean {
  return a.index * pieceLength + a.begin + a.length === b.index * pieceLength + b.begin;
}

/** Splits blocks (in picker order) into runs contiguous in the piece space. */
function contiguousRuns(blocks: BlockRef[], pieceLength: number): BlockRef[][] {
  const sorted = [...blocks].sort((a, b) => a.index - b.index || a.begin - b.begin);
  const runs: BlockRef[][] = [];
  for (const b of sorted) {
    const run = runs[runs.length - 1];
    if (run && adjacent(run[run.length - 1], b, pieceLength)) run.push(b);
    else runs.push([b]);
  }
  return runs;
}
