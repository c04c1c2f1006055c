/**
 * bench swarm-leech8: downloading from 8 libtorrent seeders at once over loopback,
 * `shoal get` against a libtorrent leecher, in the same run.
 *
 *   node dist/bench/swarm-leech8.js [SIZE] [--seeders 8]     (default 256M)
 *
 * The seeders (libtorrent, seed mode, each on its own 127.0.0.x) start once and serve both
 * leechers in turn: libtorrent first, then shoal (SHOAL_BENCH_RUNS rounds, default 1; the
 * best of each side is compared). Wall, CPU (user + sys) and peak RSS of each leecher.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PATH } from '../test/interop/helpers.js';
import { measureChild, printBenchLine, type Measurement } from './lib/measure.js';
import { ltLeech, ltSeeder, makeTorrent, parseSize, type RunningSeeder } from './lib/swarm-bench.js';

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
const size = parseSize(positional[0] ?? process.env.SHOAL_BENCH_SIZE ?? '256M');
const si = process.argv.indexOf('--seeders');
const SEEDERS = si >= 0 ? Number(process.argv[si + 1]) : 8;
const runs = Math.max(1, Number(process.env.SHOAL_BENCH_RUNS ?? 1));

const t = await makeTorrent('shoal-bench-leech8-', size);
const seeders: RunningSeeder[] = [];
try {
  console.log(`# ${size} bytes, 1 MiB pieces, v1, ${SEEDERS} libtorrent seeders on 127.0.0.x, plaintext, loopback`);
  for (let k = 0; k < SEEDERS; k++) seeders.push(await ltSeeder(t, `127.0.0.${20 + k}`));
  const peers = seeders.map((s) => s.endpoint);
  const ltRuns: Measurement[] = [], shoalRuns: Measurement[] = [];
  for (let r = 0; r < runs; r++) {
    const lt = await ltLeech(t, join(t.dir, 'out-lt'), peers, '127.0.0.4');
    if (lt.exitCode !== 0) throw new Error(`libtorrent leecher failed: ${lt.stdout.slice(-500)} ${lt.stderr.slice(-500)}`);
    rmSync(join(t.dir, 'out-lt'), { recursive: true, force: true });
    ltRuns.push(lt);
    const shoal = await measureChild(process.execPath, [CLI_PATH, 'get', t.torrent, '-o', join(t.dir, 'out-shoal'), ...peers.flatMap((p) => ['--peer', p]), '--listen', '127.0.0.3:0', '--state-dir', join(t.dir, `state-${r}`), '--no-dht', '--no-utp']);
    if (shoal.exitCode !== 0) throw new Error(`shoal get failed: ${shoal.stderr}`);
    rmSync(join(t.dir, 'out-shoal'), { recursive: true, force: true });
    shoalRuns.push(shoal);
    console.log(`# run ${r + 1}: shoal ${shoal.wallSeconds.toFixed(2)} s / ${shoal.cpuSeconds.toFixed(2)} CPU s / ${shoal.maxRssMb.toFixed(0)} MB, libtorrent ${lt.wallSeconds.toFixed(2)} s / ${lt.cpuSeconds.toFixed(2)} CPU s / ${lt.maxRssMb.toFixed(0)} MB`);
  }
  const best = (ms: Measurement[], k: 'wallSeconds' | 'cpuSeconds') => Math.min(...ms.map((m) => m[k]));
  printBenchLine('swarm-leech8-wall', best(shoalRuns, 'wallSeconds'), best(ltRuns, 'wallSeconds'), 's', 'libtorrent');
  printBenchLine('swarm-leech8-cpu', best(shoalRuns, 'cpuSeconds'), best(ltRuns, 'cpuSeconds'), 'CPU s', 'libtorrent');
  printBenchLine('swarm-leech8-rss', Math.max(...shoalRuns.map((m) => m.maxRssMb)), Math.max(...ltRuns.map((m) => m.maxRssMb)), 'MB', 'libtorrent');
} finally {
  for (const s of seeders) s.child.kill('SIGTERM');
  await Promise.all(seeders.map((s) => s.child.result.catch(() => undefined)));
  rmSync(t.dir, { recursive: true, force: true });
}
