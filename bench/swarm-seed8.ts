/**
 * bench swarm-seed8: one seeder serving 8 libtorrent leechers at once over loopback,
 * `shoal seed` against a libtorrent seeder, in the same run.
 *
 *   node dist/bench/swarm-seed8.js [SIZE] [--leechers 8]     (default 256M)
 *
 * For each seeder: start it (shoal: checks the data first, libtorrent: seed mode), and once
 * it is ready start the leechers together, each on its own 127.0.0.x; measure the time
 * until the last leecher has the whole file, and the seeder's CPU over that time (from
 * /proc, so the data check before "ready" is not counted). Order: libtorrent, then shoal.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLI_PATH } from '../test/interop/helpers.js';
import { printBenchLine, startMeasuredChild, treeCpuSeconds, type MeasuredChild } from './lib/measure.js';
import { leechSeconds, ltLeech, ltSeeder, makeTorrent, parseSize } from './lib/swarm-bench.js';

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
const size = parseSize(positional[0] ?? process.env.SHOAL_BENCH_SIZE ?? '256M');
const li = process.argv.indexOf('--leechers');
const LEECHERS = li >= 0 ? Number(process.argv[li + 1]) : 8;

interface Served {
  readonly wall: number;
  readonly cpu: number;
  readonly perLeecher: number[];
}

const t = await makeTorrent('shoal-bench-seed8-', size);

async function serve(label: string, seeder: { endpoint: string; child: MeasuredChild }, firstHost: number): Promise<Served> {
  const cpu0 = treeCpuSeconds(seeder.child.pid);
  const t0 = performance.now();
  const runs = Array.from({ length: LEECHERS }, (_, k) => ltLeech(t, join(t.dir, `${label}-${k}`), [seeder.endpoint], `127.0.0.${firstHost + k}`));
  const results = await Promise.all(runs);
  const wall = (performance.now() - t0) / 1000;
  const cpu = treeCpuSeconds(seeder.child.pid) - cpu0;
  const perLeecher = results.map(leechSeconds);
  seeder.child.kill('SIGINT');
  await seeder.child.result.catch(() => undefined);
  for (let k = 0; k < LEECHERS; k++) rmSync(join(t.dir, `${label}-${k}`), { recursive: true, force: true });
  console.log(`# ${label}: all ${LEECHERS} done after ${wall.toFixed(2)} s; leechers ${perLeecher.map((s) => s.toFixed(1)).join(' ')} s; seeder ${cpu.toFixed(2)} CPU s`);
  return { wall, cpu, perLeecher };
}

try {
  console.log(`# ${size} bytes, 1 MiB pieces, v1, ${LEECHERS} libtorrent leechers on 127.0.0.x, plaintext, loopback`);
  const lt = await serve('libtorrent', await ltSeeder(t, '127.0.0.2'), 20);
  const shoalChild = startMeasuredChild(process.execPath, [CLI_PATH, 'seed', t.torrent, t.data, '--listen', '127.0.0.3:0', '--state-dir', join(t.dir, 'state-seed')]);
  const endpoint = (await shoalChild.waitForLine(/^listening on /, 300_000)).replace('listening on ', '');
  const shoal = await serve('shoal', { endpoint, child: shoalChild }, 40);
  printBenchLine('swarm-seed8-wall', shoal.wall, lt.wall, 's (last leecher done)', 'libtorrent');
  printBenchLine('swarm-seed8-cpu', shoal.cpu, lt.cpu, 'CPU s (seeder)', 'libtorrent');
} finally {
  rmSync(t.dir, { recursive: true, force: true });
}
