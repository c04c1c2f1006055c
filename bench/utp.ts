/**
 * bench utp: one file over uTP on loopback (BEP 29), Shoal against libtorrent, libtorrent with
 * TCP switched off. Shoal runs in this process (its session over `UtpStreams`; the CLI does not
 * dial uTP yet).
 *
 *   utp-download: Shoal leeches from a libtorrent seeder, against a libtorrent leecher doing the same
 *   utp-upload:   a libtorrent leecher fetches from Shoal, against from a libtorrent seeder
 *   utp-vs-tcp:   Shoal's uTP download against Shoal's TCP download from libtorrent
 *
 * node dist/bench/utp.js [SIZE] (default 256M; SHOAL_BENCH_SIZE also works). Rates in MiB/s of
 * the transfer itself (libtorrent's own "seconds": from adding the torrent to the last piece).
 * SHOAL_BENCH_PARTS=vs-tcp runs only Shoal's two downloads (uTP and TCP from a libtorrent seeder).
 *
 * CPU lines (`utp-cpu-*`): CPU milliseconds per MiB of Shoal's process (process.cpuUsage, all
 * its threads) and of the libtorrent seeder (/proc) during Shoal's uTP and TCP downloads. On
 * loopback both transfers are CPU-bound, so the speeds those costs allow (`utp-vs-tcp-cpu-*`)
 * predict a quiet machine's ratio; on a loaded machine the wall-clock figures swing with the
 * load far more than these do.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PY_DIR, PYTHON, runCli, writeLargeFile } from '../test/interop/helpers.js';
import { measureChild, printBenchLine, startMeasuredChild, treeCpuSeconds } from './lib/measure.js';
import { createNodeRuntime } from '../src/runtime/node/index.js';
import { Session } from '../src/session/session.js';
import { parseTorrent } from '../src/metainfo/torrent.js';
import { timedSessionDownload, utpOnlyRuntime } from './lib/session-leech.js';
import type { Runtime } from '../src/runtime/types.js';

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
}

const size = parseSize(process.argv[2] ?? process.env.SHOAL_BENCH_SIZE ?? '256M');
const MiB = size / 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-utp-'));
const data = join(dir, 'data', 'big.bin');
const torrentPath = join(dir, 'big.torrent');
const UTP_ONLY = ['enable_outgoing_tcp=false', 'enable_incoming_tcp=false', 'enable_outgoing_utp=true', 'enable_incoming_utp=true'].flatMap((s) => ['--setting', s]);
const node = createNodeRuntime();

async function ltSeeder(host: string, utp: boolean) {
  const child = startMeasuredChild(PYTHON, [join(PY_DIR, 'lt_seed.py'), torrentPath, join(dir, 'data'), '--host', host, '--port', '0', '--status-interval', '0', '--seed-mode', ...(utp ? UTP_ONLY : [])]);
  const line = await child.waitForLine(/"ready"/, 60_000);
  return { host, port: (JSON.parse(line) as { port: number }).port, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

/** A libtorrent leecher's transfer seconds. */
async function ltLeech(peer: string, host: string): Promise<number> {
  const out = join(dir, 'out-lt');
  const m = await measureChild(PYTHON, [join(PY_DIR, 'lt_leech.py'), torrentPath, out, '--host', host, '--peer', peer, '--status-interval', '0', '--timeout', '600', ...UTP_ONLY]);
  rmSync(out, { recursive: true, force: true });
  const r = JSON.parse(m.stdout.trim().split('\n').filter((l) => l.includes('"ok"')).at(-1) ?? '{}') as { ok?: boolean; seconds?: number; error?: string };
  if (!r.ok || !r.seconds) throw new Error(`lt_leech failed: ${r.error ?? m.stderr}`);
  return r.seconds;
}

function runtimeFor(transport: 'utp' | 'tcp'): { runtime: Runtime; close(): void } {
  return transport === 'tcp' ? { runtime: node, close: () => undefined } : utpOnlyRuntime(node);
}

interface Leech {
  seconds: number;
  /** CPU seconds of this process and of the seeder during the download. */
  shoalCpu: number;
  seederCpu: number;
}

/** Shoal downloads from `peer`; seconds from adding the torrent to completion, and the CPU both sides used. */
async function shoalLeech(transport: 'utp' | 'tcp', peer: { host: string; port: number; pid: number | undefined }, n: number): Promise<Leech> {
  const { runtime, close } = runtimeFor(transport);
  const cpu0 = process.cpuUsage();
  const seeder0 = treeCpuSeconds(peer.pid);
  const seconds = await timedSessionDownload({ runtime, closeRuntime: close, stateDir: join(dir, `state-${transport}-${n}`), out: join(dir, `out-shoal-${n}`), torrentPath, peer });
  const cpu = process.cpuUsage(cpu0);
  return { seconds, shoalCpu: (cpu.user + cpu.system) / 1e6, seederCpu: treeCpuSeconds(peer.pid) - seeder0 };
}

function printCpu(utp: Leech, tcp: Leech): void {
  const ms = (s: number): number => (s / MiB) * 1000;
  printBenchLine('utp-cpu-shoal', ms(utp.shoalCpu), ms(tcp.shoalCpu), 'ms/MiB', 'tcp');
  printBenchLine('utp-cpu-seeder', ms(utp.seederCpu), ms(tcp.seederCpu), 'ms/MiB', 'tcp');
  // What the CPU figures allow: the busier side bounds a transfer when each process has a core
  // of its own (-max); both sides share the machine's cores when their threads outnumber them
  // (-sum: 2 cores here; the receiver's disk writes and GC run on threads of their own).
  const cores = availableParallelism();
  const byMax = (l: Leech): number => MiB / Math.max(l.shoalCpu, l.seederCpu);
  const bySum = (l: Leech): number => (MiB * cores) / (l.shoalCpu + l.seederCpu);
  printBenchLine('utp-vs-tcp-cpu-max', byMax(utp), byMax(tcp), 'MiB/s', 'shoal tcp');
  printBenchLine('utp-vs-tcp-cpu-sum', bySum(utp), bySum(tcp), 'MiB/s', 'shoal tcp');
}

const onlyVsTcp = process.env.SHOAL_BENCH_PARTS === 'vs-tcp';

try {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeLargeFile(data, size);
  const created = await runCli(['create', data, '-o', torrentPath, '--v1', '--piece-length', '1m', '--no-date']);
  if (created.code !== 0) throw new Error(created.stderr);
  console.log(`# ${size} bytes, 1 MiB pieces, loopback, plaintext, uTP only on both sides; libtorrent via ${PYTHON}`);

  const utpSeeder = await ltSeeder('127.0.0.2', true);
  const ltDown = onlyVsTcp ? 0 : await ltLeech(`${utpSeeder.host}:${utpSeeder.port}`, '127.0.0.3');
  const shoalDown = await shoalLeech('utp', utpSeeder, 1);
  utpSeeder.stop();
  if (!onlyVsTcp) printBenchLine('utp-download', MiB / shoalDown.seconds, MiB / ltDown, 'MiB/s', 'libtorrent');

  if (!onlyVsTcp) {
    const { runtime, close } = runtimeFor('utp');
    const seedSession = await Session.create({ runtime, stateDir: join(dir, 'state-seed'), listen: { host: '127.0.0.4', port: 0 } });
    await seedSession.addTorrent({ torrent: parseTorrent(readFileSync(torrentPath)), downloadDir: join(dir, 'data') });
    const addr = seedSession.listenAddress!;
    const fromShoal = await ltLeech(`${addr.host}:${addr.port}`, '127.0.0.5');
    await seedSession.close();
    close();
    const ltSeed2 = await ltSeeder('127.0.0.6', true);
    const fromLt = await ltLeech(`${ltSeed2.host}:${ltSeed2.port}`, '127.0.0.7');
    ltSeed2.stop();
    printBenchLine('utp-upload', MiB / fromShoal, MiB / fromLt, 'MiB/s', 'libtorrent');
  }

  const tcpSeeder = await ltSeeder('127.0.0.8', false);
  const shoalTcp = await shoalLeech('tcp', tcpSeeder, 2);
  tcpSeeder.stop();
  printBenchLine('utp-vs-tcp', MiB / shoalDown.seconds, MiB / shoalTcp.seconds, 'MiB/s', 'shoal tcp');
  printCpu(shoalDown, shoalTcp);
} finally {
  node.close();
  rmSync(dir, { recursive: true, force: true });
}
