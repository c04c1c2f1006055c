/**
 * Long-running peer processes (libtorrent scripts, transmission-cli, aria2c) for interop
 * tests and benchmarks: line-oriented output capture, waiting for a line, and cleanup that
 * always happens — on stop(), through a test's `after` hook, and, as a last resort, when
 * the test process exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Something that runs a function when the test (or suite) is over: node:test's TestContext
 * (`t`) and SuiteContext-free `after` both fit, e.g. `{ after: (fn) => t.after(fn) }` or just `t`.
 */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** Registers `fn` with `cleanup` if there is one. */
export function onCleanup(cleanup: Cleanup | undefined, fn: () => unknown): void {
  cleanup?.after(fn);
}

/** setpriv(1) from util-linux: lets a child die with its parent (PR_SET_PDEATHSIG). */
const SETPRIV = '/usr/bin/setpriv';
let setprivOk: boolean | undefined;

/**
 * Prefixes a command so the process gets SIGKILL if the test process dies without cleaning
 * up (e.g. it was SIGKILLed). Only when setpriv is present; otherwise the command unchanged.
 */
export function dieWithParent(cmd: string, args: readonly string[]): [string, string[]] {
  if (setprivOk === undefined) {
    const r = spawnSync(SETPRIV, ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore' });
    setprivOk = r.status === 0;
  }
  return setprivOk ? [SETPRIV, ['--pdeathsig', 'KILL', cmd, ...args]] : [cmd, [...args]];
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface PeerProcessOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cleanup?: Cleanup;
  /**
   * Splits stdout into lines on this (default: \n). transmission-cli redraws its status
   * line with \r, so it uses /[\r\n]/.
   */
  readonly lineBreak?: RegExp;
  /** Also split stderr into lines and feed them to the same waiters (aria2c logs to stdout, others to stderr). */
  readonly mergeStderr?: boolean;
  /** Lines kept for error messages and inspection (default 2000). */
  readonly keepLines?: number;
}

type LineWaiter = {
  readonly match: (line: string) => boolean;
  readonly resolve: (line: string) => void;
  readonly reject: (e: Error) => void;
};

const live = new Set<PeerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: a test that forgot stop() or crashed still leaves no peer running.
  process.on('exit', () => {
    for (const p of live) p.killNow();
  });
}

/** A child process whose output is read line by line. */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** The most recent stdout (and, with mergeStderr, stderr) lines, oldest first. */
  readonly lines: string[] = [];
  private stderrText = '';
  private exit: Exit | undefined;
  private readonly waiters = new Set<LineWaiter>();
  private readonly listeners = new Set<(line: string) => void>();
  private readonly keep: number;
  private stopping: Promise<Exit> | undefined;

  constructor(readonly name: string, command: string, args: readonly string[], opts: PeerProcessOptions = {}) {
    installExitHook();
    this.keep = opts.keepLines ?? 2000;
    this.child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    const lineBreak = opts.lineBreak ?? /\n/;
    this.readLines(this.child.stdout, lineBreak, (line) => this.handleLine(line));
    this.child.stderr?.setEncoding('utf8');
    if (opts.mergeStderr) {
      this.readLines(this.child.stderr, lineBreak, (line) => this.handleLine(line), (text) => this.appendStderr(text));
    } else {
      this.child.stderr?.on('data', (text: string) => this.appendStderr(text));
    }
    this.exited = new Promise<Exit>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exit) return;
        this.exit = { code, signal };
        live.delete(this);
        const err = new Error(`${this.name} exited (${signal ?? `code ${code}`}) before the expected output${this.tail()}`);
        for (const w of this.waiters) w.reject(err);
        this.waiters.clear();
        resolve(this.exit);
      };
      this.child.on('close', done);
      this.child.on('error', (e) => {
        this.appendStderr(`spawn error: ${e.message}\n`);
        done(null, null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit status once the process has exited. */
  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Calls `fn` for every line from now on. */
  onLine(fn: (line: string) => void): void {
    this.listeners.add(fn);
  }

  private handleLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
    for (const fn of this.listeners) fn(line);
    for (const w of this.waiters) {
      if (w.match(line)) {
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  /**
   * Resolves with the first line (already seen or still to come) that matches; rejects if
   * the process exits first or after `timeoutMs`, with the output's tail in the message.
   */
  waitForLine(match: RegExp | ((line: string) => boolean), timeoutMs: number, what = String(match)): Promise<string> {
    const test = typeof match === 'function' ? match : (l: string) => match.test(l);
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.exit) {
      return Promise.reject(new Error(`${this.name} had exited (${this.exit.signal ?? `code ${this.exit.code}`}) `
        + `without printing ${what}${this.tail()}`));
    }
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms${this.tail()}`));
      }, timeoutMs);
      const waiter: LineWaiter = {
        match: test,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Like waitForLine for JSON lines: the first parsed object for which `match` holds. */
  async waitForJson<T>(match: (obj: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<T> {
    const line = await this.waitForLine((l) => {
      const o = parseJsonLine(l);
      return o !== undefined && match(o);
    }, timeoutMs, what);
    return JSON.parse(line) as T;
  }

  /** Every stdout line that parses as a JSON object. */
  jsonLines(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const l of this.lines) {
      const o = parseJsonLine(l);
      if (o) out.push(o);
    }
    return out;
  }

  /**
   * Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `graceMs`.
   * Idempotent; resolves at once if the process has exited.
   */
  stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<Exit> {
    if (this.exit) return Promise.resolve(this.exit);
    if (!this.stopping) {
      this.stopping = (async () => {
        this.child.kill(signal);
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.child.kill('SIGKILL');
            resolve();
          }, graceMs);
        });
        await Promise.race([this.exited, killed]);
        clearTimeout(timer);
        return this.exited;
      })();
    }
    return this.stopping;
  }

  /** SIGKILL now, synchronously (for exit hooks). */
  killNow(): void {
    if (!this.exit) this.child.kill('SIGKILL');
  }

  /** The last lines of output and stderr, for error messages. */
  tail(n = 15): string {
    const out = this.lines.slice(-n).join('\n');
    const err = this.stderrText.split('\n').slice(-n).join('\n').trim();
    return `${out ? `\n--- ${this.name} output (tail) ---\n${out}` : ''}${err ? `\n--- ${this.name} stderr (tail) ---\n${err}` : ''}`;
  }

  private appendStderr(text: string): void {
    this.stderrText += text;
    if (this.stderrText.length > 200_000) this.stderrText = this.stderrText.slice(-100_000);
  }

  private readLines(stream: NodeJS.ReadableStream | null, lineBreak: RegExp, onLine: (l: string) => void,
    onRaw?: (text: string) => void): void {
    if (!stream) return;
    stream.setEncoding('utf8');
    let pending = '';
    stream.on('data', (text: string) => {
      onRaw?.(text);
      pending += text;
      const parts = pending.split(lineBreak);
      pending = parts.pop() ?? '';
      for (const p of parts) if (p.trim() !== '') onLine(p);
    });
    stream.on('end', () => {
      if (pending.trim() !== '') onLine(pending);
      pending = '';
    });
  }
}

/** Parses a line that holds one JSON object; undefined otherwise. */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a PeerProcess and registers its stop() with `opts.cleanup`. */
export function startPeerProcess(name: string, command: string, args: readonly string[], opts: PeerProcessOptions = {}): PeerProcess {
  const p = new PeerProcess(name, command, args, opts);
  onCleanup(opts.cleanup, () => p.stop());
  return p;
}

/**
 * A TCP port that was free on `host` a moment ago (bind to port 0, read it, close), for
 * clients that cannot listen on port 0 and report it (aria2c, transmission-cli).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
