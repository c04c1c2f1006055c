/**
 * bench utp-netem: one file over uTP through 50 ms RTT and 1 % loss per direction (tc netem's
 * model: `delay 25ms loss 1%` each way), Shoal against libtorrent, libtorrent with TCP off.
 *
 *   utp-netem-download: Shoal leeches from a libtorrent seeder, against a libtorrent leecher doing the same
 *   utp-netem-upload:   a libtorrent leecher fetches from Shoal, against from a libtorrent seeder
 *
 * The impairment is applied by a UDP relay in its own process (bench/utp-relay-proc.ts): the
 * CI kernel has no sch_netem. Every leecher dials the relay, which forwards to the seeder.
 *
 * node dist/bench/utp-netem.js [SIZE] (default 16M; SHOAL_BENCH_SIZE also works; the issue's
 * figure is for 256M, which takes minutes per transfer at these rates). Rates in MiB/s.
 * SHOAL_BENCH_RUNS=N (default 1) repeats both comparisons N times and prints every run: the
 * target is "in every run", so runs are not averaged.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PY_DIR, PYTHON, runCli, writeLargeFile } from '../test/interop/helpers.js';
import { measureChild, printBenchLine, startMeasuredChild } from './lib/measure.js';
import { createNodeRuntime } from '../src/runtime/node/index.js';
import { Session } from '../src/session/session.js';
import { parseTorrent } from '../src/metainfo/torrent.js';
import { timedSessionDownload, utpOnlyRuntime } from './lib/session-leech.js';

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
}

const size = parseSize(process.argv[2] ?? process.env.SHOAL_BENCH_SIZE ?? '16M');
const MiB = size / 2 ** 20;
const runs = Math.max(1, Number(process.env.SHOAL_BENCH_RUNS ?? 1));
const DELAY_MS = 25;
const LOSS = 0.01;
const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-utp-netem-'));
const data = join(dir, 'data', 'big.bin');
const torrentPath = join(dir, 'big.torrent');
const RELAY = fileURLToPath(new URL('./utp-relay-proc.js', import.meta.url));
const UTP_ONLY = ['enable_outgoing_tcp=false', 'enable_incoming_tcp=false', 'enable_outgoing_utp=true', 'enable_incoming_utp=true'].flatMap((s) => ['--setting', s]);
const node = createNodeRuntime();

/** A relay in front of `target`; stop() prints nothing and ends it. */
async function relay(listenHost: string, target: { host: string; port: number }, seed: number) {
  const child = startMeasuredChild(process.execPath, [RELAY, listenHost, `${target.host}:${target.port}`, String(DELAY_MS), String(LOSS), '0', String(seed)]);
  const line = await child.waitForLine(/"port"/, 10_000);
  return { peer: `${listenHost}:${(JSON.parse(line) as { port: number }).port}`, stop: () => child.kill('SIGTERM') };
}

async function ltSeeder(host: string) {
  const child = startMeasuredChild(PYTHON, [join(PY_DIR, 'lt_seed.py'), torrentPath, join(dir, 'data'), '--host', host, '--port', '0', '--status-interval', '0', '--seed-mode', ...UTP_ONLY]);
  const line = await child.waitForLine(/"ready"/, 60_000);
  return { host, port: (JSON.parse(line) as { port: number }).port, stop: () => child.kill('SIGTERM') };
}

/** A libtorrent leecher's transfer seconds. */
async function ltLeech(peer: string, host: string): Promise<number> {
  const out = join(dir, 'out-lt');
  const m = await measureChild(PYTHON, [join(PY_DIR, 'lt_leech.py'), torrentPath, out, '--host', host, '--peer', peer, '--status-interval', '0', '--timeout', '1800', ...UTP_ONLY]);
  rmSync(out, { recursive: true, force: true });
  const r = JSON.parse(m.stdout.trim().split('\n').filter((l) => l.includes('"ok"')).at(-1) ?? '{}') as { ok?: boolean; seconds?: number; error?: string };
  if (!r.ok || !r.seconds) throw new Error(`lt_leech failed: ${r.error ?? m.stderr}`);
  return r.seconds;
}

/** Shoal downloads from `peer` over uTP; seconds from adding the torrent to completion. */
async function shoalLeech(peer: string, run: number): Promise<number> {
  const { runtime, close } = utpOnlyRuntime(node);
  const [host, port] = peer.split(':');
  return timedSessionDownload({ runtime, closeRuntime: close, stateDir: join(dir, `state-leech-${run}`), out: join(dir, 'out-shoal'), torrentPath, peer: { host, port: Number(port) } });
}

try {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeLargeFile(data, size);
  const created = await runCli(['create', data, '-o', torrentPath, '--v1', '--piece-length', '256k', '--no-date']);
  if (created.code !== 0) throw new Error(created.stderr);
  console.log(`# ${size} bytes, 256 KiB pieces, uTP only, ${2 * DELAY_MS} ms RTT and ${LOSS * 100} % loss each way (relay process); libtorrent via ${PYTHON}`);

  for (let run = 1; run <= runs; run++) {
    if (runs > 1) console.log(`# run ${run} of ${runs}`);
    const seeder = await ltSeeder('127.0.0.2');
    const r1 = await relay('127.0.0.9', seeder, 1);
    const ltDown = await ltLeech(r1.peer, '127.0.0.3');
    r1.stop();
    const r2 = await relay('127.0.0.10', seeder, 1);
    const shoalDown = await shoalLeech(r2.peer, run);
    r2.stop();
    seeder.stop();
    printBenchLine('utp-netem-download', MiB / shoalDown, MiB / ltDown, 'MiB/s', 'libtorrent');

    const { runtime, close } = utpOnlyRuntime(node);
    const seedSession = await Session.create({ runtime, stateDir: join(dir, `state-seed-${run}`), listen: { host: '127.0.0.4', port: 0 } });
    await seedSession.addTorrent({ torrent: parseTorrent(readFileSync(torrentPath)), downloadDir: join(dir, 'data') });
    const r3 = await relay('127.0.0.11', seedSession.listenAddress!, 2);
    const fromShoal = await ltLeech(r3.peer, '127.0.0.5');
    r3.stop();
    await seedSession.close();
    close();
    const seeder2 = await ltSeeder('127.0.0.6');
    const r4 = await relay('127.0.0.12', seeder2, 2);
    const fromLt = await ltLeech(r4.peer, '127.0.0.7');
    r4.stop();
    seeder2.stop();
    printBenchLine('utp-netem-upload', MiB / fromShoal, MiB / fromLt, 'MiB/s', 'libtorrent');
  }
} finally {
  node.close();
  rmSync(dir, { recursive: true, force: true });
}
