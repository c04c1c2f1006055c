/**
 * bench transfer: 1 GiB single file over loopback, Shoal against libtorrent in the same run.
 *
 *   download: libtorrent seeds; `shoal get` vs a libtorrent leecher (wall, CPU, peak RSS),
 *             alternating, SHOAL_BENCH_RUNS (3) runs each, best of each compared
 *   upload:   a libtorrent leecher downloads from `shoal seed` vs from a libtorrent seeder (leecher wall time)
 *
 * node dist/bench/transfer.js [SIZE] (default 1G; SHOAL_BENCH_SIZE also works)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH, PY_DIR, PYTHON, runCli, writeLargeFile } from '../test/interop/helpers.js';
import { measureChild, printBenchLine, startMeasuredChild, type Measurement } from './lib/measure.js';

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
}

const size = parseSize(process.argv[2] ?? process.env.SHOAL_BENCH_SIZE ?? '1G');
/** Download runs per side (SHOAL_BENCH_RUNS, default 3). */
const runs = Math.max(1, Number(process.env.SHOAL_BENCH_RUNS ?? 3));
const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-transfer-'));
const data = join(dir, 'data', 'big.bin');
const torrent = join(dir, 'big.torrent');

async function ltSeeder(host: string) {
  const child = startMeasuredChild(PYTHON, [join(PY_DIR, 'lt_seed.py'), torrent, join(dir, 'data'), '--host', host, '--port', '0', '--status-interval', '0', '--encryption', 'plaintext', '--seed-mode']);
  const line = await child.waitForLine(/"ready"/, 60_000);
  return { endpoint: `${host}:${(JSON.parse(line) as { port: number }).port}`, stop: () => child.kill('SIGTERM') };
}

function ltLeech(out: string, peer: string, host: string) {
  return measureChild(PYTHON, [join(PY_DIR, 'lt_leech.py'), torrent, out, '--host', host, '--peer', peer, '--encryption', 'plaintext', '--status-interval', '0', '--timeout', '300']);
}

try {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeLargeFile(data, size);
  const created = await runCli(['create', data, '-o', torrent, '--v1', '--piece-length', '1m', '--no-date']);
  if (created.code !== 0) throw new Error(created.stderr);
  console.log(`# ${size} bytes, 1 MiB pieces, v1, loopback, plaintext; libtorrent ${PYTHON} (python3-libtorrent)`);

  // Download: the same libtorrent seeder serves both leechers, alternating, RUNS times each;
  // the best run of each side is compared (a shared machine only ever adds time).
  const seeder = await ltSeeder('127.0.0.2');
  const shoalRuns: Measurement[] = [], ltRuns: Measurement[] = [];
  for (let r = 0; r < runs; r++) {
    const lt = await ltLeech(join(dir, 'out-lt'), seeder.endpoint, '127.0.0.4');
    rmSync(join(dir, 'out-lt'), { recursive: true, force: true });
    ltRuns.push(lt);
    const shoal = await measureChild(process.execPath, [CLI_PATH, 'get', torrent, '-o', join(dir, 'out-shoal'), '--peer', seeder.endpoint, '--listen', '127.0.0.3:0', '--state-dir', join(dir, `state-${r}`), '--no-dht', '--no-utp', '--encryption', 'plaintext']);
    if (shoal.exitCode !== 0) throw new Error(`shoal get failed: ${shoal.stderr}`);
    rmSync(join(dir, 'out-shoal'), { recursive: true, force: true });
    shoalRuns.push(shoal);
    console.log(`# run ${r + 1}: shoal ${shoal.wallSeconds.toFixed(2)} s / ${shoal.cpuSeconds.toFixed(2)} CPU s / ${shoal.maxRssMb.toFixed(0)} MB, libtorrent ${lt.wallSeconds.toFixed(2)} s / ${lt.cpuSeconds.toFixed(2)} CPU s / ${lt.maxRssMb.toFixed(0)} MB`);
  }
  seeder.stop();
  const best = (ms: Measurement[], k: 'wallSeconds' | 'cpuSeconds') => Math.min(...ms.map((m) => m[k]));
  printBenchLine('download-wall', best(shoalRuns, 'wallSeconds'), best(ltRuns, 'wallSeconds'), 's', 'libtorrent');
  printBenchLine('download-cpu', best(shoalRuns, 'cpuSeconds'), best(ltRuns, 'cpuSeconds'), 'CPU s', 'libtorrent');
  printBenchLine('download-rss', Math.max(...shoalRuns.map((m) => m.maxRssMb)), Math.max(...ltRuns.map((m) => m.maxRssMb)), 'MB', 'libtorrent');

  // Upload: a libtorrent leecher fetches from shoal seed, then from a libtorrent seeder.
  const shoalSeed = startMeasuredChild(process.execPath, [CLI_PATH, 'seed', torrent, data, '--listen', '127.0.0.5:0', '--state-dir', join(dir, 'state-seed'), '--encryption', 'plaintext']);
  const endpoint = (await shoalSeed.waitForLine(/^listening on /, 300_000)).replace('listening on ', '');
  const fromShoal = await ltLeech(join(dir, 'up-shoal'), endpoint, '127.0.0.6');
  shoalSeed.kill('SIGINT');
  const seedMeasure = await shoalSeed.result;
  rmSync(join(dir, 'up-shoal'), { recursive: true, force: true });
  const ltSeed = await ltSeeder('127.0.0.7');
  const fromLt = await ltLeech(join(dir, 'up-lt'), ltSeed.endpoint, '127.0.0.8');
  ltSeed.stop();
  printBenchLine('upload-wall', fromShoal.wallSeconds, fromLt.wallSeconds, 's (leecher)', 'libtorrent');
  console.log(`# shoal seed: ${seedMeasure.cpuSeconds.toFixed(2)} CPU s (including its data check), peak RSS ${seedMeasure.maxRssMb.toFixed(0)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
