/**
 * The download queue: which swarms run. Seeds always run; at most `maxActiveDownloads`
 * downloads do (running ones keep their slot, then addition order), the rest wait as
 * `queued`. Swarms start in the background, `startConcurrency` at a time, downloads ahead of
 * seeds. A torrent being moved or rechecked is left alone: that operation starts and stops it.
 */
import type { TimerHandle } from '../../runtime/types.js';
import { ServiceError, type TorrentId } from '../types.js';
import { startEntry, stopEntry, type RunContext } from './runner.js';
import type { TorrentEntry } from './torrent-entry.js';

export class DownloadQueue {
  private planning = false;
  private planTimer: TimerHandle | undefined;
  /** Entries waiting for a background start, in order. */
  private startQueue: TorrentEntry[] = [];
  private starters = 0;
  /** Called once the start queue first runs empty (`idle`'s promise). */
  private onIdle: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly entries: ReadonlyMap<TorrentId, TorrentEntry>,
    private readonly ctx: RunContext,
    private readonly startConcurrency: number,
  ) {}

  /** Plans, and resolves when the start queue first runs empty. */
  idle(): Promise<void> {
    this.plan();
    return new Promise((resolve) => {
      this.onIdle = resolve;
      this.drainStarts();
    });
  }

  /** The entry leaves the start queue (paused, removed). */
  forget(e: TorrentEntry): void {
    this.startQueue = this.startQueue.filter((q) => q !== e);
  }

  /** Should this entry's swarm run? Seeds always; downloads while a slot is theirs. */
  private wantsToRun(e: TorrentEntry, slots: Set<TorrentEntry>): boolean {
    if (e.record.paused || e.error !== undefined) return false;
    return e.record.complete || e.forced || slots.has(e);
  }

  /** Re-plans which swarms run: starts and stops to match the queue. Cheap enough to call on every change (one pass). */
  plan(): void {
    if (this.closed || this.planning) return;
    this.planning = true;
    try {
      // Download slots go to running downloads first (no churn), then in addition order.
      const slots = new Set<TorrentEntry>();
      const max = this.ctx.settings().maxActiveDownloads;
      const candidates = [...this.entries.values()].filter((e) => !e.record.paused && e.error === undefined && !e.record.complete && !e.forced);
      for (const e of candidates) if (e.running && slots.size < max) slots.add(e);
      for (const e of candidates) if (!e.running && slots.size < max) slots.add(e);
      const queued = new Set(this.startQueue);
      for (const e of this.entries.values()) {
        if (e.moving || e.rechecking) continue; // the move or recheck starts and stops it
        const want = this.wantsToRun(e, slots);
        if (want && !e.running && !queued.has(e)) {
          // Downloads jump the queue of seeds waiting for their background start.
          if (e.record.complete) this.startQueue.push(e);
          else this.startQueue.unshift(e);
        } else if (!want && e.running) void stopEntry(this.ctx, e);
      }
      this.startQueue = this.startQueue.filter((e) => this.entries.has(e.id) && !e.moving && !e.rechecking && this.wantsToRun(e, slots) && !e.running);
    } finally {
      this.planning = false;
    }
    this.drainStarts();
  }

  /** Plans once soon, however many changes ask for it meanwhile. */
  requestPlan(): void {
    if (this.planTimer || this.closed) return;
    this.planTimer = this.ctx.runtime.clock.setTimer(0, () => {
      this.planTimer = undefined;
      this.plan();
    });
  }

  /** Starts the entry now whatever the queue says (a stream reads it). */
  async ensureRunning(e: TorrentEntry): Promise<void> {
    if (e.record.paused) throw new ServiceError(409, 'the torrent is paused');
    if (e.error !== undefined) throw new ServiceError(409, `the torrent failed: ${e.error}`);
    if (!e.running) {
      e.forced = true;
      this.forget(e);
      await startEntry(this.ctx, e);
    }
    await e.starting;
  }

  close(): void {
    this.closed = true;
    this.planTimer?.cancel();
    this.startQueue = [];
  }

  private drainStarts(): void {
    while (this.starters < this.startConcurrency && this.startQueue.length > 0 && !this.closed) {
      const e = this.startQueue.shift()!;
      if (e.running) continue;
      this.starters++;
      void startEntry(this.ctx, e).finally(() => {
        this.starters--;
        this.drainStarts();
      });
    }
    if (this.starters === 0 && this.startQueue.length === 0 && this.onIdle) {
      this.onIdle();
      this.onIdle = undefined;
    }
  }
}
