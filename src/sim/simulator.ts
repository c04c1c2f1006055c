/**
 * The discrete-event simulator: virtual time that jumps from event to event, a virtual
 * network of hosts, and one seed from which every random choice derives.
 *
 * Two ways to run:
 * - `runSync` / `runUntilSync` / `runForSync` / `step` process events back to back. Use them
 *   for pure-callback code (and benchmarks): promises the simulator settles during the run
 *   only continue after it returns.
 * - `run` / `runUntil` / `runFor` are async. After any event that settled a promise the
 *   simulator created (bind, listen, connect, `sleep`), they yield to the host event loop so
 *   pending microtasks (the `await` continuations of protocol code) run at that virtual
 *   instant, before the next event. Otherwise they keep going synchronously. This keeps
 *   `async` protocol code deterministic: the same seed gives the same trace.
 */
import type { TimerHandle } from '../runtime/types.js';
import { SeededRandom } from '../runtime/random.js';
import { EventQueue } from './event-queue.js';
import { LognormalLatency, type LatencyModel } from './latency.js';
import { Network, type NetworkStats } from './network.js';
import { SimHost, SimTimer, type HostOptions } from './host.js';

export interface SimulatorOptions {
  /** Root seed. Default 1. */
  seed?: number;
  /** Default: `new LognormalLatency({ seed })` (median RTT 60 ms). */
  latency?: LatencyModel;
  /** Datagram loss probability, global. Default 0. */
  lossRate?: number;
  /** Tail-drop threshold for datagrams waiting on a link, ms. Default 1000. */
  queueLimitMs?: number;
  /** Default connect timeout, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Extra time before peers notice a host went offline, ms. Default 1000. */
  linkFailureDetectMs?: number;
  /**
   * When the async run loop yields to let microtasks run: after events that settled a
   * simulator-created promise (default), or after every event (slow; for protocol code
   * that resolves its own promises from callbacks and awaits them), or 'microtasks':
   * after every event that was not quiet, the microtask queue runs empty without a
   * macrotask turn (continuations such as an in-memory storage's async reads and writes
   * settle at the virtual instant they started, as Node runs every microtask before the next
   * I/O callback; far cheaper than 'every-event'; an event that settled a simulator promise
   * still gets a full yield).
   */
  yieldMode?: 'sim-promises' | 'every-event' | 'microtasks';
  /** Initial event-queue capacity (it grows as needed). Default 1024. */
  initialQueueCapacity?: number;
}

export interface RunOptions {
  /** Stop before the first event later than this virtual time (ms). Default: no limit. */
  until?: number;
  /** Stop after this many events. Default: no limit. */
  maxEvents?: number;
}

export class Simulator {
  readonly seed: number;
  /** Scenario-level randomness (host code gets its own forks). */
  readonly random: SeededRandom;
  readonly network: Network;
  private readonly queue: EventQueue;
  private readonly forkSource: SeededRandom;
  private readonly hostList: SimHost[] = [];
  private readonly yieldEveryEvent: boolean;
  private readonly drainMicrotasks: boolean;
  private nextHostNumber = 1;
  private running = false;

  constructor(options: SimulatorOptions = {}) {
    this.seed = options.seed ?? 1;
    const root = new SeededRandom(this.seed);
    this.forkSource = root.fork();
    this.random = root.fork();
    this.queue = new EventQueue(options.initialQueueCapacity ?? 1024);
    this.network = new Network(this.queue, root.fork(), {
      latency: options.latency ?? new LognormalLatency({ seed: this.seed }),
      lossRate: options.lossRate ?? 0,
      queueLimitMs: options.queueLimitMs ?? 1000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      linkFailureDetectMs: options.linkFailureDetectMs ?? 1000,
    });
    this.yieldEveryEvent = options.yieldMode === 'every-event';
    this.drainMicrotasks = options.yieldMode === 'microtasks';
  }

  /** Current virtual time, ms. */
  get now(): number {
    return this.queue.now;
  }

  /** Events waiting in the queue. */
  get pendingEvents(): number {
    return this.queue.size;
  }

  /** Events processed so far. */
  get eventsProcessed(): number {
    return this.queue.dispatched;
  }

  get stats(): NetworkStats {
    return this.network.stats;
  }

  /** Hosts created and not removed, in creation order. */
  get hosts(): readonly SimHost[] {
    return this.hostList.filter((h) => !h.removed);
  }

  /** Adds a host. Its random stream is forked from the seed in creation order. */
  createHost(options: HostOptions = {}): SimHost {
    const address = options.address ?? this.nextAddress();
    if (this.network.hosts.has(address)) throw new RangeError(`a simulated host already has address ${address}`);
    const host = new SimHost(this.network, this.hostList.length, address, this.forkSource.fork(), options);
    this.hostList.push(host);
    this.network.hosts.set(address, host);
    return host;
  }

  /** Makes `name` resolve to `address` through every host's `runtime.dns` (tracker and bootstrap names). */
  setName(name: string, address: string): void {
    this.network.names.set(name.toLowerCase(), address);
  }

  /** The live host with this address. */
  host(address: string): SimHost | undefined {
    return this.network.hosts.get(address);
  }

  /** Removes a host for good: it goes offline, its ports close, its timers stop firing. */
  removeHost(host: SimHost): void {
    if (host.removed) return;
    host.shutdown();
    if (this.network.hosts.get(host.address) === host) this.network.hosts.delete(host.address);
  }

  /** Runs `fn` after `ms` of virtual time (scenario code; hosts use their runtime's clock). */
  schedule(ms: number, fn: () => void): TimerHandle {
    const q = this.queue;
    return new SimTimer(q, q.push(q.now + (ms > 0 ? ms : 0), callPlain, fn, undefined, undefined));
  }

  /** A promise that resolves after `ms` of virtual time (use with the async run loop). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.network.resolveLater(resolve, undefined, ms > 0 ? ms : 0));
  }

  /** Processes one event; false when the queue is empty. */
  step(): boolean {
    if (this.queue.size === 0) return false;
    this.queue.dispatchNext();
    return true;
  }

  /** Processes events synchronously; returns how many ran. */
  runSync(options: RunOptions = {}): number {
    const until = options.until ?? Infinity;
    const max = options.maxEvents ?? Infinity;
    const q = this.queue;
    this.enter();
    let n = 0;
    try {
      while (n < max && q.size > 0 && q.nextTime() <= until) {
        q.dispatchNext();
        n++;
      }
    } finally {
      this.running = false;
    }
    if (until !== Infinity && n < max) q.advanceTo(until);
    return n;
  }

  /** Runs events up to virtual time `t` (inclusive) and leaves the clock at `t`. */
  runUntilSync(t: number): number {
    return this.runSync({ until: t });
  }

  /** Runs `ms` of virtual time from now. */
  runForSync(ms: number): number {
    return this.runSync({ until: this.queue.now + ms });
  }

  /** The async run loop (see the file comment); resolves with the number of events run. */
  async run(options: RunOptions = {}): Promise<number> {
    const until = options.until ?? Infinity;
    const max = options.maxEvents ?? Infinity;
    this.enter();
    let n: number;
    try {
      // Let code that ran before the loop (e.g. an async setup) reach its first await.
      await yieldToMicrotasks();
      n = await this.drive(until, max);
    } finally {
      this.running = false;
    }
    if (until !== Infinity && n < max) this.queue.advanceTo(until);
    return n;
  }

  /**
   * The loop itself, driven by callbacks rather than `await`s. In 'microtasks' mode, after an
   * event that was not quiet the next event runs from `process.nextTick`, queued by one
   * microtask: Node runs next-tick callbacks only once the microtask queue is empty, so every
   * continuation the event started (at any depth, as in Node between two I/O callbacks) runs
   * at its virtual instant, for one promise reaction and one tick per event. (It used to hop
   * through eight rounds of microtasks, a promise each: 12% of the bytes a 1,000-peer swarm
   * allocated, and a chain deeper than eight ran late.)
   */
  private drive(until: number, max: number): Promise<number> {
    const q = this.queue;
    const net = this.network;
    return new Promise<number>((resolve, reject) => {
      let n = 0;
      const loop = (): void => {
        try {
          while (n < max) {
            if (q.size === 0 || q.nextTime() > until) {
              // Continuations that were still pending may schedule more work: give them a turn.
              // eslint-disable-next-line no-restricted-globals -- a macrotask boundary drains microtasks; virtual time is untouched
              setImmediate(recheck);
              return;
            }
            net.settled = false;
            net.quiet = false;
            q.dispatchNext();
            n++;
            if (net.settled || this.yieldEveryEvent) {
              net.settled = false;
              // eslint-disable-next-line no-restricted-globals -- as above
              setImmediate(loop);
              return;
            }
            if (this.drainMicrotasks && !net.quiet) {
              void SETTLED.then(afterMicrotasks);
              return;
            }
          }
          resolve(n);
        } catch (e) {
          reject(e as Error);
        }
      };
      // Queued from a microtask, it runs once the microtask queue is empty.
      const afterMicrotasks = (): void => {
        process.nextTick(loop);
      };
      const recheck = (): void => {
        if (q.size === 0 || q.nextTime() > until) resolve(n);
        else loop();
      };
      loop();
    });
  }

  /** Async: runs events up to virtual time `t` and leaves the clock at `t`. */
  runUntil(t: number): Promise<number> {
    return this.run({ until: t });
  }

  /** Async: runs `ms` of virtual time from now. */
  runFor(ms: number): Promise<number> {
    return this.run({ until: this.queue.now + ms });
  }

  private enter(): void {
    if (this.running) throw new Error('the simulator is already running (run* called from inside an event)');
    this.running = true;
  }

  private nextAddress(): string {
    for (;;) {
      const n = this.nextHostNumber++;
      if (n >= 1 << 24) throw new RangeError('out of automatic 10.x.y.z addresses');
      const last = n & 255;
      if (last === 0 || last === 255) continue;
      const address = `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${last}`;
      if (!this.network.hosts.has(address)) return address;
    }
  }
}

/** Settled once: `.then` on it queues a microtask (in the same queue, in order). */
const SETTLED = Promise.resolve();


function callPlain(fn: () => void): void {
  fn();
}

/**
 * Yields to the host event loop for one macrotask turn, so every pending microtask (and
 * the microtasks they queue) runs first. No real time is read or waited for.
 */
function yieldToMicrotasks(): Promise<void> {
  // eslint-disable-next-line no-restricted-globals -- a macrotask boundary drains microtasks; virtual time is untouched
  return new Promise((resolve) => setImmediate(resolve));
}
