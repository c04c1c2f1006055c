/**
 * Makes TCP unusable on a test namespace's veth (nftables inside the namespace, so nothing
 * outside it is touched) while UDP passes and is counted: a transfer that completes then ran
 * over uTP, and the counters prove it (bytes of UDP each way, TCP packets dropped).
 *
 * TCP to or from `allowTcpPorts` still passes (a tracker's HTTP, a Web API). Dropping, not
 * rejecting, is what a firewall that eats TCP does: the TCP dial hangs rather than failing
 * fast, so a client falls back only by its own timers.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import type { Netns } from './netns.js';

export interface TransportCounters {
  /** UDP bytes (IP length) that left the namespace and that entered it, over the veth. */
  readonly udpOutBytes: number;
  readonly udpInBytes: number;
  /** TCP packets dropped (both directions). */
  readonly tcpDropped: number;
}

export interface TcpBlock {
  counters(): TransportCounters;
}

const TABLE = 'shoal_tcp_block';

/** Installs the rules in `ns` (they vanish with the namespace). Throws if nft fails. */
export function blockTcp(ns: Netns, allowTcpPorts: readonly number[] = []): TcpBlock {
  const dev = ns.nsInterface;
  const allow = allowTcpPorts.length > 0 ? `{ ${allowTcpPorts.join(', ')} }` : undefined;
  const rules = (dir: 'iifname' | 'oifname'): string[] => [
    ...(allow ? [`${dir} "${dev}" tcp dport ${allow} accept`, `${dir} "${dev}" tcp sport ${allow} accept`] : []),
    `${dir} "${dev}" meta l4proto tcp counter drop`,
    `${dir} "${dev}" meta l4proto udp counter accept`,
  ];
  const script = [
    `table inet ${TABLE} {`,
    '  chain in { type filter hook input priority 0; policy accept;',
    ...rules('iifname').map((r) => `    ${r}`),
    '  }',
    '  chain out { type filter hook output priority 0; policy accept;',
    ...rules('oifname').map((r) => `    ${r}`),
    '  }',
    '}',
  ].join('\n');
  const r = ns.execSync('sh', ['-c', `printf '%s\\n' "$1" | nft -f -`, 'sh', script]);
  if (r.status !== 0) throw new Error(`nft in ${ns.name} failed: ${r.stderr.trim()}\n${script}`);
  return {
    counters: () => {
      const out = ns.execSync('nft', ['-j', 'list', 'table', 'inet', TABLE]);
      if (out.status !== 0) throw new Error(`nft list in ${ns.name} failed: ${out.stderr.trim()}`);
      let udpOutBytes = 0, udpInBytes = 0, tcpDropped = 0;
      const doc = JSON.parse(out.stdout) as { nftables: { rule?: { chain: string; expr: Record<string, unknown>[] } }[] };
      for (const item of doc.nftables) {
        const rule = item.rule;
        if (!rule) continue;
        const counter = rule.expr.find((e) => 'counter' in e)?.counter as { packets: number; bytes: number } | undefined;
        if (!counter) continue;
        const text = JSON.stringify(rule.expr);
        if (text.includes('"tcp"')) tcpDropped += counter.packets;
        else if (text.includes('"udp"')) {
          if (rule.chain === 'out') udpOutBytes += counter.bytes;
          else udpInBytes += counter.bytes;
        }
      }
      return { udpOutBytes, udpInBytes, tcpDropped };
    },
  };
}

let loopbackTables = 0;

/**
 * The same on loopback, between two addresses only (for clients that run there): a table of
 * its own in the root namespace drops TCP from `a` to `b` and back and counts UDP; nothing
 * else on the machine is touched. `dispose()` removes it (pass a test context to do so at its
 * end). "out" is a -> b.
 */
export function blockTcpOnLoopback(a: string, b: string, cleanup?: { after(fn: () => void): void }): TcpBlock & { dispose(): void } {
  const table = `shoal_tcp_block_${process.pid}_${loopbackTables++}`;
  const script = [
    `table ip ${table} {`,
    '  chain out { type filter hook output priority 0; policy accept;',
    `    ip saddr ${a} ip daddr ${b} meta l4proto tcp counter drop`,
    `    ip saddr ${b} ip daddr ${a} meta l4proto tcp counter drop`,
    `    ip saddr ${a} ip daddr ${b} meta l4proto udp counter accept comment "out"`,
    `    ip saddr ${b} ip daddr ${a} meta l4proto udp counter accept comment "in"`,
    '  }',
    '}',
  ].join('\n');
  const nft = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('nft', args, { encoding: 'utf8', input });
    return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') || (r.error?.message ?? '') };
  };
  const add = nft(['-f', '-'], script);
  if (add.status !== 0) throw new Error(`nft failed: ${add.stderr.trim()}\n${script}`);
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    nft(['delete', 'table', 'ip', table]);
  };
  process.once('exit', dispose);
  cleanup?.after(dispose);
  return {
    dispose,
    counters: () => {
      const out = nft(['-j', 'list', 'table', 'ip', table]);
      if (out.status !== 0) throw new Error(`nft list failed: ${out.stderr.trim()}`);
      let udpOutBytes = 0, udpInBytes = 0, tcpDropped = 0;
      const doc = JSON.parse(out.stdout) as { nftables: { rule?: { comment?: string; expr: Record<string, unknown>[] } }[] };
      for (const item of doc.nftables) {
        const rule = item.rule;
        const counter = rule?.expr.find((e) => 'counter' in e)?.counter as { packets: number; bytes: number } | undefined;
        if (!rule || !counter) continue;
        if (rule.comment === 'out') udpOutBytes += counter.bytes;
        else if (rule.comment === 'in') udpInBytes += counter.bytes;
        else tcpDropped += counter.packets;
      }
      return { udpOutBytes, udpInBytes, tcpDropped };
    },
  };
}

/**
 * The transfer ran over UDP: at least `total` bytes (the content) went the data's way
 * (`dataOut`: out of the namespace, or from Shoal on loopback). `where` names the link in the
 * test's diagnostic.
 */
export function assertRanOverUdp(block: TcpBlock, dataOut: boolean, total: number, t: { diagnostic(s: string): void }, where: string): void {
  const c = block.counters();
  t.diagnostic(`${where}: UDP out ${c.udpOutBytes} B, in ${c.udpInBytes} B; TCP packets dropped ${c.tcpDropped}`);
  assert.ok((dataOut ? c.udpOutBytes : c.udpInBytes) >= total, `only ${JSON.stringify(c)} UDP bytes for ${total} bytes of content`);
}
