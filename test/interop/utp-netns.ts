/**
 * Two throw-away network namespaces joined by one veth pair, with `tc` shaping on both ends,
 * for uTP tests and benches (test/interop/utp-netem.test.ts, bench/utp-netem.ts,
 * bench/ledbat.ts):
 *
 *     shoal-utp-<pid>-<k>a  10.79.0.1/24  ====veth (netem / tbf)====  10.79.0.2/24  shoal-utp-<pid>-<k>b
 *
 * Nothing is linked to the root namespace or beyond, so the fixed private addresses cannot
 * collide with anything (each pair is its own network). Needs root, iproute2 and tc; every
 * call is synchronous so teardown can run from an exit hook.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : existsSync('/sbin/ip') ? '/sbin/ip' : 'ip';
const TC = existsSync('/usr/sbin/tc') ? '/usr/sbin/tc' : existsSync('/sbin/tc') ? '/sbin/tc' : 'tc';

export interface NetnsSide {
  readonly name: string;
  readonly iface: string;
  readonly address: string;
  /** [command, args] running `cmd args...` inside this namespace. */
  wrap(cmd: string, args: readonly string[]): [string, string[]];
  exec(cmd: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string };
}

export interface VethPair {
  readonly a: NetnsSide;
  readonly b: NetnsSide;
  /**
   * Replaces the root qdisc on both ends with `tc` arguments after `root`, e.g.
   * `['netem', 'delay', '25ms', 'loss', '1%']` (each direction gets it: RTT is twice the delay).
   */
  shape(args: readonly string[]): void;
  /** Shapes one end only (its egress). */
  shapeSide(side: NetnsSide, args: readonly string[]): void;
  destroy(): void;
}

function sh(cmd: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') || (r.error?.message ?? '') };
}

function must(cmd: string, args: readonly string[]): string {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why a veth pair with tc cannot be built here, or false when it can. */
export function vethSkipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root (run the tests as root)';
  if (sh(IP, ['netns', 'list']).status !== 0) return '`ip netns` is unavailable: install iproute2';
  if (sh(TC, ['-V']).status !== 0) return '`tc` is unavailable: install iproute2';
  const probe = `shoal-utp-probe-${process.pid}`;
  const add = sh(IP, ['netns', 'add', probe]);
  sh(IP, ['netns', 'del', probe]);
  if (add.status !== 0) return `cannot create a network namespace (${add.stderr.trim()})`;
  return false;
}

const live = new Set<VethPair>();
let hooked = false;
let counter = 0;

/** Deletes namespaces of this naming scheme left by test processes that died. */
function sweep(): void {
  for (const line of sh(IP, ['netns', 'list']).stdout.split('\n')) {
    const m = /^(shoal-utp-(\d+)-\d+[ab])\b/.exec(line.trim());
    if (!m || Number(m[2]) === process.pid) continue;
    try {
      process.kill(Number(m[2]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') sh(IP, ['netns', 'del', m[1]]);
    }
  }
}

export function createVethPair(opts: { readonly cleanup?: { after(fn: () => void): void } } = {}): VethPair {
  sweep();
  const k = counter++;
  const base = `shoal-utp-${process.pid}-${k}`;
  const tag = `${process.pid % 1_000_000}${k}`;
  const side = (suffix: 'a' | 'b', address: string): NetnsSide => {
    const name = `${base}${suffix}`;
    return {
      name, iface: `su${suffix}${tag}`.slice(0, 15), address,
      wrap: (cmd, args) => [IP, ['netns', 'exec', name, cmd, ...args]],
      exec: (cmd, args) => sh(IP, ['netns', 'exec', name, cmd, ...args]),
    };
  };
  const a = side('a', '10.79.0.1');
  const b = side('b', '10.79.0.2');
  let destroyed = false;
  const pair: VethPair = {
    a, b,
    shape: (args) => {
      pair.shapeSide(a, args);
      pair.shapeSide(b, args);
    },
    shapeSide: (s, args) => {
      sh(IP, ['netns', 'exec', s.name, TC, 'qdisc', 'del', 'dev', s.iface, 'root']);
      must(IP, ['netns', 'exec', s.name, TC, 'qdisc', 'add', 'dev', s.iface, 'root', ...args]);
    },
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      live.delete(pair);
      sh(IP, ['netns', 'del', a.name]); // takes the veth pair with it
      sh(IP, ['netns', 'del', b.name]);
    },
  };
  live.add(pair);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const p of live) p.destroy();
    });
  }
  try {
    for (const s of [a, b]) {
      must(IP, ['netns', 'add', s.name]);
      must(IP, ['-n', s.name, 'link', 'set', 'lo', 'up']);
    }
    must(IP, ['-n', a.name, 'link', 'add', a.iface, 'type', 'veth', 'peer', 'name', b.iface, 'netns', b.name]);
    for (const s of [a, b]) {
      must(IP, ['-n', s.name, 'addr', 'add', `${s.address}/24`, 'dev', s.iface]);
      must(IP, ['-n', s.name, 'link', 'set', s.iface, 'up']);
    }
    // veth carrier comes up asynchronously: wait (at most 5 s) until both ends say UP.
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (const s of [a, b]) {
      for (let i = 0; !/\bstate UP\b/.test(sh(IP, ['-n', s.name, '-o', 'link', 'show', 'dev', s.iface]).stdout); i++) {
        if (i >= 250) throw new Error(`${s.iface} in ${s.name} is not up after 5 s`);
        Atomics.wait(sleeper, 0, 0, 20);
      }
    }
  } catch (e) {
    pair.destroy();
    throw e;
  }
  opts.cleanup?.after(() => pair.destroy());
  return pair;
}

export interface RoutedPath {
  /** The two ends; `a` reaches `b` through `router`. */
  readonly a: NetnsSide;
  readonly b: NetnsSide;
  /** The router's side facing `b` (shape its egress to make the bottleneck a router queue, as on a real uplink). */
  readonly router: NetnsSide;
  shapeSide(side: NetnsSide, args: readonly string[]): void;
  destroy(): void;
}

/**
 * Three namespaces in a row: `a` (10.79.1.1) — router — `b` (10.79.2.1), the router forwarding.
 * A bottleneck shaped on the router queues packets of every sender alike; one shaped on a
 * sender's own interface would not, as the kernel holds TCP back (TCP small queues) while
 * its packets wait in a local qdisc.
 */
export function createRoutedPath(): RoutedPath {
  sweep();
  const k = counter++;
  const base = `shoal-utp-${process.pid}-${k}`;
  const tag = `${process.pid % 100_000}${k}`;
  const mk = (suffix: string, iface: string, address: string): NetnsSide => {
    const name = `${base}${suffix}`;
    return {
      name, iface: iface.slice(0, 15), address,
      wrap: (cmd, args) => [IP, ['netns', 'exec', name, cmd, ...args]],
      exec: (cmd, args) => sh(IP, ['netns', 'exec', name, cmd, ...args]),
    };
  };
  const a = mk('a', `ua${tag}`, '10.79.1.1');
  const b = mk('b', `ub${tag}`, '10.79.2.1');
  const ra = mk('r', `ra${tag}`, '10.79.1.254');
  const rb = mk('r', `rb${tag}`, '10.79.2.254');
  let destroyed = false;
  const path: RoutedPath = {
    a, b, router: rb,
    shapeSide: (s, args) => {
      sh(IP, ['netns', 'exec', s.name, TC, 'qdisc', 'del', 'dev', s.iface, 'root']);
      must(IP, ['netns', 'exec', s.name, TC, 'qdisc', 'add', 'dev', s.iface, 'root', ...args]);
    },
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      for (const n of [a.name, b.name, ra.name]) sh(IP, ['netns', 'del', n]);
    },
  };
  process.on('exit', () => path.destroy());
  try {
    for (const n of [a.name, b.name, ra.name]) {
      must(IP, ['netns', 'add', n]);
      must(IP, ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    must(IP, ['-n', ra.name, 'link', 'add', ra.iface, 'type', 'veth', 'peer', 'name', a.iface, 'netns', a.name]);
    must(IP, ['-n', ra.name, 'link', 'add', rb.iface, 'type', 'veth', 'peer', 'name', b.iface, 'netns', b.name]);
    for (const s of [a, b, ra, rb]) {
      must(IP, ['-n', s.name, 'addr', 'add', `${s.address}/24`, 'dev', s.iface]);
      must(IP, ['-n', s.name, 'link', 'set', s.iface, 'up']);
    }
    must(IP, ['-n', a.name, 'route', 'add', 'default', 'via', ra.address]);
    must(IP, ['-n', b.name, 'route', 'add', 'default', 'via', rb.address]);
    must(IP, ['netns', 'exec', ra.name, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (const s of [a, b, ra, rb]) {
      for (let i = 0; !/\bstate UP\b/.test(sh(IP, ['-n', s.name, '-o', 'link', 'show', 'dev', s.iface]).stdout); i++) {
        if (i >= 250) throw new Error(`${s.iface} in ${s.name} is not up after 5 s`);
        Atomics.wait(sleeper, 0, 0, 20);
      }
    }
  } catch (e) {
    path.destroy();
    throw e;
  }
  return path;
}
