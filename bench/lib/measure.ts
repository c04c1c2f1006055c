/**
 * Measures a child process — any program: `node dist/src/cli/main.js get ...`, a python
 * libtorrent script, aria2c — for the side-by-side benchmarks: wall time, CPU (user + sys)
 * and peak RSS.
 *
 * How: the child runs under a small python wrapper (PYTHON, always present because the
 * benchmarks need python3-libtorrent) that fork/execs it and reaps it with wait4(2), which
 * returns the child's own rusage. So:
 * - cpuSeconds is user + sys of the child and of any descendants it waited for, all its
 *   threads included (node worker threads, libtorrent's disk and network threads);
 * - maxRss is the child's peak resident set (ru_maxrss: the largest of the child and its
 *   waited-for descendants, not a sum);
 * - wallSeconds runs from just before fork to the reap, inside the wrapper, so the
 *   wrapper's own start-up is not counted, but the child's (interpreter start, imports) is.
 * Signals sent to the wrapper (kill()) are forwarded to the child; if the wrapper dies the
 * child gets SIGKILL, and if this process dies the wrapper gets SIGTERM (PR_SET_PDEATHSIG).
 * The child's stdin is /dev/null; its stdout and stderr are captured.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { PYTHON } from '../../test/interop/helpers.js';

export interface Measurement {
  readonly wallSeconds: number;
  /** user + sys */
  readonly cpuSeconds: number;
  readonly userSeconds: number;
  readonly sysSeconds: number;
  /** Peak RSS in MiB (ru_maxrss / 1024). */
  readonly maxRssMb: number;
  readonly maxRssKb: number;
  /** Exit code, or null when the child was killed by a signal. */
  readonly exitCode: number | null;
  /** e.g. 'SIGTERM' when the child was killed by a signal. */
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MeasureOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Send SIGTERM after this many ms (then SIGKILL 5 s later). Default: no limit. */
  readonly timeoutMs?: number;
  /** Called for every stdout line as it arrives. */
  readonly onStdoutLine?: (line: string) => void;
}

export interface MeasuredChild {
  /** The measuring wrapper's pid (the measured program is its child): see `treeCpuSeconds`. */
  readonly pid: number | undefined;
  /** Forwards a signal to the child (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void;
  /** The first stdout line (seen or to come) matching; rejects if the child ends first or on timeout. */
  waitForLine(match: RegExp, timeoutMs: number): Promise<string>;
  readonly result: Promise<Measurement>;
}

// Signals are blocked before the fork and taken with sigtimedwait, so none is lost in a race
// with wait4 (a python-level handler can be deferred until a blocking wait4 returns).
const WRAPPER = String.raw`
import ctypes, json, os, signal, sys, time
PR_SET_PDEATHSIG = 1
def pdeathsig(sig):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except Exception:
        pass
FORWARD = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2}
WAIT = FORWARD | {signal.SIGCHLD}
signal.pthread_sigmask(signal.SIG_BLOCK, WAIT)
pdeathsig(signal.SIGTERM)
argv = sys.argv[1:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    pdeathsig(signal.SIGKILL)
    os.close(3)
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        sys.stderr.write('measure: cannot run %s: %s\n' % (argv[0], e))
        os._exit(127)
while True:
    wpid, status, ru = os.wait4(pid, os.WNOHANG)
    if wpid:
        break
    info = signal.sigtimedwait(WAIT, 1.0)
    if info is not None and info.si_signo in FORWARD:
        try:
            os.kill(pid, info.si_signo)
        except ProcessLookupError:
            pass
wall = time.monotonic() - t0
res = {'wallSeconds': wall, 'userSeconds': ru.ru_utime, 'sysSeconds': ru.ru_stime, 'maxRssKb': ru.ru_maxrss,
       'exitCode': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
       'signal': signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else None}
os.write(3, json.dumps(res).encode())
`;

interface WrapperResult {
  wallSeconds: number;
  userSeconds: number;
  sysSeconds: number;
  maxRssKb: number;
  exitCode: number | null;
  signal: string | null;
}

/** Starts `cmd args` under the measuring wrapper. */
export function startMeasuredChild(cmd: string, args: readonly string[], opts: MeasureOptions = {}): MeasuredChild {
  const child = spawn(PYTHON, ['-c', WRAPPER, cmd, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  const lines: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }>();
  let pending = '';
  let ended = false;
  const onLine = (line: string): void => {
    lines.push(line);
    opts.onStdoutLine?.(line);
    for (const w of waiters) {
      if (w.re.test(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  };
  const { stdout: childOut, stderr: childErr } = child;
  if (!childOut || !childErr) throw new Error('measure: spawn gave no stdout/stderr pipes');
  childOut.setEncoding('utf8');
  childOut.on('data', (text: string) => {
    out.push(text);
    pending += text;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
  childErr.setEncoding('utf8');
  childErr.on('data', (text: string) => err.push(text));
  const resultPipe = child.stdio[3] as Readable;
  const resultChunks: Buffer[] = [];
  resultPipe.on('data', (b: Buffer) => resultChunks.push(b));

  let killTimer: NodeJS.Timeout | undefined;
  let hardKillTimer: NodeJS.Timeout | undefined;
  if (opts.timeoutMs !== undefined) {
    killTimer = setTimeout(() => {
      child.kill('SIGTERM');
      hardKillTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    }, opts.timeoutMs);
  }

  const result = new Promise<Measurement>((resolve, reject) => {
    child.on('error', (e) => reject(e));
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      clearTimeout(hardKillTimer);
      ended = true;
      if (pending) onLine(pending);
      const stdout = out.join('');
      const stderr = err.join('');
      const gone = new Error(`${cmd} ended before the expected line\n${stderr.slice(-2000)}`);
      for (const w of waiters) w.reject(gone);
      waiters.clear();
      const text = Buffer.concat(resultChunks).toString('utf8');
      if (!text) {
        reject(new Error(`measure: the wrapper for ${cmd} exited ${signal ?? code} without a result\n${stderr.slice(-2000)}`));
        return;
      }
      const r = JSON.parse(text) as WrapperResult;
      resolve({
        wallSeconds: r.wallSeconds,
        userSeconds: r.userSeconds,
        sysSeconds: r.sysSeconds,
        cpuSeconds: r.userSeconds + r.sysSeconds,
        maxRssKb: r.maxRssKb,
        maxRssMb: r.maxRssKb / 1024,
        exitCode: r.exitCode,
        signal: r.signal,
        stdout,
        stderr,
      });
    });
  });
  result.catch(() => undefined); // the caller observes it

  return {
    pid: child.pid,
    kill: (signal = 'SIGTERM') => {
      if (!ended) child.kill(signal);
    },
    waitForLine: (re, timeoutMs) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(`${cmd} had ended without printing ${re}`));
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${cmd}: no line matching ${re} within ${timeoutMs} ms`));
        }, timeoutMs);
        const w = {
          re,
          resolve: (l: string) => {
            clearTimeout(timer);
            resolve(l);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.add(w);
      });
    },
    result,
  };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU seconds (user + sys) used so far by a live process and its live descendants, from
 * /proc (Linux): for the CPU of a long-running child over one phase (e.g. a seeder from
 * "ready" until its leechers finish), as the difference of two readings. 0 for a process
 * that is gone.
 */
export function treeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let ticks = 0;
  const visit = (p: number) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      return;
    }
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let children: string;
      try {
        children = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ')) if (c.trim()) visit(Number(c));
    }
  };
  visit(pid);
  return ticks / USER_HZ;
}

/** Runs `cmd args` to completion and measures it. Never rejects on a non-zero exit. */
export function measureChild(cmd: string, args: readonly string[], opts: MeasureOptions = {}): Promise<Measurement> {
  return startMeasuredChild(cmd, args, opts).result;
}

/** Two decimals, the benches' usual precision. */
export function formatNumber(x: number): string {
  return x.toFixed(2);
}

/**
 * The house bench line: `bench <name>: shoal X <unit>, <peerLabel> Y <unit>, ratio R`
 * where R = shoal / peer (so <= 1.0 means Shoal is at least as good for time, CPU and memory).
 */
export function formatBenchLine(name: string, shoal: number, peer: number, unit: string, peerLabel = 'peer'): string {
  const ratio = peer === 0 ? (shoal === 0 ? 1 : Infinity) : shoal / peer;
  return `bench ${name}: shoal ${formatNumber(shoal)} ${unit}, ${peerLabel} ${formatNumber(peer)} ${unit}, ratio ${ratio.toFixed(2)}`;
}

/** Prints formatBenchLine(...) and returns the ratio. */
export function printBenchLine(name: string, shoal: number, peer: number, unit: string, peerLabel = 'peer'): number {
  console.log(formatBenchLine(name, shoal, peer, unit, peerLabel));
  return peer === 0 ? (shoal === 0 ? 1 : Infinity) : shoal / peer;
}
