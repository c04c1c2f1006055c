/**
 * Throw-away network namespaces for peers that will not talk over loopback.
 *
 * Transmission 3.00 treats all of 127.0.0.0/8 as a martian address and never trades with a
 * loopback peer. So it runs in a namespace of its own, joined to the test's namespace by a
 * veth pair:
 *
 *     root namespace  <host end> 10.200.N.1/24  ====veth====  10.200.N.2/24 <ns end>  namespace shoal-<pid>-<k>
 *
 * The 10.200.N.0/24 subnet exists only on this veth pair, inside this machine; nothing is
 * routed anywhere else. N is claimed with an atomic lock directory (under /run/shoal-netns)
 * so that test files running in parallel never share a subnet; a lock left by a process
 * that died is reclaimed, and its namespace deleted. Namespace and interface names carry
 * the pid, so parallel runs never collide on names either.
 *
 * Needs root and `ip netns` (iproute2). Everything here is synchronous, so teardown can run
 * from an exit hook.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './peers/process.js';

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : existsSync('/sbin/ip') ? '/sbin/ip' : 'ip';
const LOCK_ROOT = '/run/shoal-netns';
/** Third octet range for 10.200.N.0/24. */
const FIRST_SUBNET = 1;
const LAST_SUBNET = 254;

export interface Netns {
  /** Namespace name, for `ip netns exec`. */
  readonly name: string;
  /** The veth end in the root (test) namespace, and its address (10.200.N.1). */
  readonly hostInterface: string;
  readonly hostAddress: string;
  /** The veth end inside the namespace, and its address (10.200.N.2). */
  readonly nsInterface: string;
  readonly nsAddress: string;
  /** The third octet N. */
  readonly subnet: number;
  /** [command, args] that run `cmd args...` inside the namespace. */
  wrap(cmd: string, args: readonly string[]): [string, string[]];
  /** Runs a command inside the namespace to completion (synchronously). */
  execSync(cmd: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string };
  /** Deletes the namespace (and with it the veth pair) and releases the subnet. Idempotent. */
  destroy(): void;
}

function ip(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(IP, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') || (r.error?.message ?? '') };
}

function ipOrThrow(args: readonly string[]): string {
  const r = ip(args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

let probe: { ok: boolean; reason: string } | undefined;

/** Whether namespaces can be made here (root, iproute2 with netns support); why not otherwise. Cached. */
export function netnsAvailable(): { ok: boolean; reason: string } {
  if (probe) return probe;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    probe = { ok: false, reason: 'network namespaces need root (run the tests as root)' };
    return probe;
  }
  const r = ip(['netns', 'list']);
  if (r.status !== 0) {
    probe = { ok: false, reason: `\`ip netns\` is unavailable (${r.stderr.trim() || `exit ${r.status}`}); install iproute2` };
    return probe;
  }
  // A real trial: some containers allow `ip netns list` but not creating one.
  const name = `shoal-probe-${process.pid}`;
  const add = ip(['netns', 'add', name]);
  ip(['netns', 'del', name]);
  probe = add.status === 0
    ? { ok: true, reason: 'ip netns works' }
    : { ok: false, reason: `cannot create a network namespace (${add.stderr.trim()})` };
  return probe;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockAgeMs(dir: string): number {
  try {
    return Date.now() - statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}

interface LockInfo {
  readonly pid: number;
  readonly name: string;
  readonly hostInterface: string;
}

/** Claims a free 10.200.N.0/24, reclaiming locks of dead processes. */
function claimSubnet(info: Omit<LockInfo, 'pid'>): number {
  mkdirSync(LOCK_ROOT, { recursive: true });
  const start = FIRST_SUBNET + (process.pid % (LAST_SUBNET - FIRST_SUBNET + 1));
  for (let i = 0; i <= LAST_SUBNET - FIRST_SUBNET; i++) {
    const n = FIRST_SUBNET + ((start - FIRST_SUBNET + i) % (LAST_SUBNET - FIRST_SUBNET + 1));
    const dir = join(LOCK_ROOT, `10.200.${n}`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let owner: LockInfo | undefined;
        try {
          owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as LockInfo;
        } catch {
          owner = undefined; // being written right now, or garbage
        }
        const stale = owner ? !pidAlive(owner.pid) : lockAgeMs(dir) > 60_000;
        if (stale) {
          // Left behind by a test process that died: remove its namespace and take the lock over.
          if (owner) {
            ip(['netns', 'del', owner.name]);
            ip(['link', 'del', owner.hostInterface]);
          }
          rmSync(dir, { recursive: true, force: true });
          continue;
        }
        break; // taken
      }
      writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, ...info }));
      // Nothing else on this machine may use the subnet either.
      if (ip(['-o', 'addr', 'show', 'to', `10.200.${n}.0/24`]).stdout.trim() !== '') {
        rmSync(dir, { recursive: true, force: true });
        break;
      }
      return n;
    }
  }
  throw new Error('no free 10.200.N.0/24 subnet for a test network namespace');
}

let swept = false;

/**
 * Once per process: removes what test processes that died (SIGKILL, crash) left behind —
 * their subnet locks, and namespaces named shoal-<pid>-<k> whose pid is gone (deleting a
 * namespace deletes its veth pair).
 */
function sweepStale(): void {
  if (swept) return;
  swept = true;
  mkdirSync(LOCK_ROOT, { recursive: true });
  for (const entry of readdirSync(LOCK_ROOT)) {
    const dir = join(LOCK_ROOT, entry);
    let owner: LockInfo | undefined;
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as LockInfo;
    } catch {
      owner = undefined;
    }
    if (owner ? pidAlive(owner.pid) : lockAgeMs(dir) <= 60_000) continue;
    if (owner) {
      ip(['netns', 'del', owner.name]);
      ip(['link', 'del', owner.hostInterface]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  for (const line of ip(['netns', 'list']).stdout.split('\n')) {
    const m = /^(shoal-(\d+)-\d+)\b/.exec(line.trim());
    if (m && Number(m[2]) !== process.pid && !pidAlive(Number(m[2]))) ip(['netns', 'del', m[1]]);
  }
}

/** Blocks until `dev` (in namespace `ns`, or the root one) reports operstate UP (at most 5 s). */
function waitOperUp(dev: string, ns: string | undefined): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = ip([...(ns ? ['-n', ns] : []), '-o', 'link', 'show', 'dev', dev]);
    if (r.status === 0 && /\bstate UP\b/.test(r.stdout)) return;
    if (Date.now() > deadline) throw new Error(`${dev} is not up after 5 s: ${r.stdout.trim() || r.stderr.trim()}`);
    Atomics.wait(sleeper, 0, 0, 20);
  }
}

const liveNamespaces = new Set<Netns>();
let exitHookInstalled = false;
let counter = 0;

/**
 * Creates namespace shoal-<pid>-<k> with loopback up and a veth pair to the root namespace
 * (10.200.N.1 here, 10.200.N.2 there). Pass `cleanup` (e.g. the test context) to destroy it
 * when the test ends; it is also destroyed when the process exits. Throws if it cannot be
 * made; check netnsAvailable() first to skip instead.
 */
export function createNetns(opts: { readonly cleanup?: Cleanup } = {}): Netns {
  sweepStale();
  const k = counter++;
  const name = `shoal-${process.pid}-${k}`;
  // Interface names are limited to 15 characters: "sh" + pid (<= 7 digits) + "h"/"n" + k.
  const hostInterface = `sh${process.pid}h${k}`;
  const nsInterface = `sh${process.pid}n${k}`;
  if (hostInterface.length > 15) throw new Error(`interface name ${hostInterface} is too long`);
  const subnet = claimSubnet({ name, hostInterface });
  const lockDir = join(LOCK_ROOT, `10.200.${subnet}`);
  const hostAddress = `10.200.${subnet}.1`;
  const nsAddress = `10.200.${subnet}.2`;
  let destroyed = false;
  const ns: Netns = {
    name, hostInterface, hostAddress, nsInterface, nsAddress, subnet,
    wrap: (cmd, args) => [IP, ['netns', 'exec', name, cmd, ...args]],
    execSync: (cmd, args) => {
      const r = spawnSync(IP, ['netns', 'exec', name, cmd, ...args], { encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      liveNamespaces.delete(ns);
      // Deleting the namespace destroys the veth end inside it, and so the pair.
      ip(['netns', 'del', name]);
      if (ip(['link', 'show', hostInterface]).status === 0) ip(['link', 'del', hostInterface]);
      rmSync(lockDir, { recursive: true, force: true });
    },
  };
  liveNamespaces.add(ns);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const n of liveNamespaces) n.destroy();
    });
  }
  try {
    ipOrThrow(['netns', 'add', name]);
    ipOrThrow(['-n', name, 'link', 'set', 'lo', 'up']);
    ipOrThrow(['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', nsInterface, 'netns', name]);
    ipOrThrow(['addr', 'add', `${hostAddress}/24`, 'dev', hostInterface]);
    ipOrThrow(['link', 'set', hostInterface, 'up']);
    ipOrThrow(['-n', name, 'addr', 'add', `${nsAddress}/24`, 'dev', nsInterface]);
    ipOrThrow(['-n', name, 'link', 'set', nsInterface, 'up']);
    waitOperUp(hostInterface, undefined);
    waitOperUp(nsInterface, name);
  } catch (e) {
    ns.destroy();
    throw e;
  }
  opts.cleanup?.after(() => ns.destroy());
  return ns;
}
