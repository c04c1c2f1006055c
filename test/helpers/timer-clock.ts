/**
 * A virtual clock for driving protocol cores by hand: timers fire, in order, only when the test
 * calls `advance`. `wholeMs` fires them on whole milliseconds, as real timers do; `maxFires`
 * turns timers that re-arm without end into an error instead of a hung test.
 */
import type { Clock, TimerHandle } from '../../src/runtime/types.js';

export class TimerClock implements Clock {
  t = 0;
  /** Timers fired so far. */
  fired = 0;
  private timers: { at: number; fn: () => void; off: boolean }[] = [];
  private readonly wholeMs: boolean;
  private readonly maxFires: number;

  constructor(o: { readonly wholeMs?: boolean; readonly maxFires?: number } = {}) {
    this.wholeMs = o.wholeMs ?? false;
    this.maxFires = o.maxFires ?? Infinity;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const e = { at: this.wholeMs ? Math.floor(this.t + ms) : this.t + ms, fn, off: false };
    this.timers.push(e);
    return { cancel: () => (e.off = true) };
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((e) => !e.off && e.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      if (++this.fired > this.maxFires) throw new Error('timers re-armed without end');
      due.off = true;
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}
