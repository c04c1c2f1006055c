/**
 * Network namespaces for interop tests (Linux, root): run `ip` / `nft` synchronously, run a
 * command inside a namespace, delete this run's namespaces and those left by dead runs.
 * Namespaces are named `<prefix>-<pid>-<role>`, so a later run can tell whose they are.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const IP = ['/usr/sbin/ip', '/sbin/ip'].find((p) => existsSync(p));
export const NFT = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p));

/** Why namespace tests cannot run here, or false. */
export function netnsSkipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root (run the tests as root)';
  if (!IP) return 'iproute2 (`ip`) is not installed';
  if (!NFT) return 'nftables (`nft`) is not installed: apt-get install nftables';
  return false;
}

export function sh(cmd: string, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') || (r.error?.message ?? '') };
}

export function must(cmd: string, args: readonly string[], input?: string): string {
  const r = sh(cmd, args, input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export const ip = (...args: string[]): string => must(IP ?? 'ip', args);

/** `cmd args` run inside namespace `ns`, as [command, args] for spawn. */
export const inNs = (ns: string, cmd: string, args: readonly string[]): [string, string[]] => [IP ?? 'ip', ['netns', 'exec', ns, cmd, ...args]];

/** Loads an nftables ruleset in `ns`. */
export function nft(ns: string, ruleset: string): void {
  must(...inNs(ns, NFT ?? 'nft', ['-f', '-']), ruleset);
}

/** Deletes namespaces `<prefix>-<pid>-*` of this process and of processes no longer alive. */
export function deleteNamespaces(prefix: string): void {
  const list = sh(IP ?? 'ip', ['netns', 'list']).stdout;
  const re = new RegExp(`^(${prefix}-(\\d+)-[\\w-]+)`);
  for (const line of list.split('\n')) {
    const m = re.exec(line.trim());
    if (!m) continue;
    const pid = Number(m[2]);
    let alive = pid !== process.pid;
    if (alive) {
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    if (!alive) sh(IP ?? 'ip', ['netns', 'del', m[1]]);
  }
}

/** Adds a namespace with its loopback up. */
export function addNamespace(ns: string): void {
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
}

/** A veth pair between two namespaces, each end addressed (`a.b.c.d/nn`) and up. */
export function link(nsA: string, ifA: string, addrA: string, nsB: string, ifB: string, addrB: string): void {
  ip('-n', nsA, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB);
  ip('-n', nsA, 'addr', 'add', addrA, 'dev', ifA);
  ip('-n', nsA, 'link', 'set', ifA, 'up');
  ip('-n', nsB, 'addr', 'add', addrB, 'dev', ifB);
  ip('-n', nsB, 'link', 'set', ifB, 'up');
}
