/** The real clock: `performance.now()` for monotonic time and Node timers underneath. */
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../types.js';

export interface NodeClockOptions {
  /** Unref every timer so pending timers alone do not keep the process alive. Default false. */
  unrefTimers?: boolean;
}

class NodeTimer implements TimerHandle {
  private handle: NodeJS.Timeout | undefined;
  constructor(handle: NodeJS.Timeout) {
    this.handle = handle;
  }
  cancel(): void {
    if (this.handle !== undefined) {
      clearTimeout(this.handle);
      this.handle = undefined;
    }
  }
}

export class NodeClock implements Clock {
  private readonly unref: boolean;
  constructor(options: NodeClockOptions = {}) {
    this.unref = options.unrefTimers ?? false;
  }

  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const handle = setTimeout(fn, delay);
    if (this.unref) handle.unref();
    return new NodeTimer(handle);
  }
}
