/**
 * Shared set-up of the many-peer benches (bench/swarm-seed8.ts, bench/swarm-leech8.ts): a
 * test file and its torrent, libtorrent seeders and leechers driven through
 * test/interop/py, each on its own loopback address (libtorrent limits connections per IP).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PY_DIR, PYTHON, runCli, writeLargeFile } from '../../test/interop/helpers.js';
import { measureChild, startMeasuredChild, type MeasuredChild, type Measurement } from './measure.js';

export function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
}

export interface BenchTorrent {
  readonly dir: string;
  /** The directory holding the content (a seeder's save path). */
  readonly dataDir: string;
  /** The content file. */
  readonly data: string;
  readonly torrent: string;
}

/** A temp dir with `size` bytes of pseudo-random data and a v1 torrent of it (1 MiB pieces). */
export async function makeTorrent(prefix: string, size: number): Promise<BenchTorrent> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const data = join(dataDir, 'big.bin');
  const torrent = join(dir, 'big.torrent');
  writeLargeFile(data, size);
  const created = await runCli(['create', data, '-o', torrent, '--v1', '--piece-length', '1m', '--no-date']);
  if (created.code !== 0) throw new Error(created.stderr);
  return { dir, dataDir, data, torrent };
}

export interface RunningSeeder {
  readonly endpoint: string;
  readonly child: MeasuredChild;
}

/** A libtorrent seeder (seed mode: the data is trusted, as `shoal seed` trusts resume data). */
export async function ltSeeder(t: BenchTorrent, host: string): Promise<RunningSeeder> {
  const child = startMeasuredChild(PYTHON, [join(PY_DIR, 'lt_seed.py'), t.torrent, t.dataDir, '--host', host, '--port', '0', '--status-interval', '0', '--encryption', 'plaintext', '--seed-mode']);
  const line = await child.waitForLine(/"ready"/, 120_000);
  return { endpoint: `${host}:${(JSON.parse(line) as { port: number }).port}`, child };
}

/** A libtorrent leecher from the given peers; resolves when it has the file (or failed). */
export function ltLeech(t: BenchTorrent, out: string, peers: readonly string[], host: string): Promise<Measurement> {
  return measureChild(PYTHON, [join(PY_DIR, 'lt_leech.py'), t.torrent, out, '--host', host, ...peers.flatMap((p) => ['--peer', p]), '--encryption', 'plaintext', '--status-interval', '0', '--timeout', '600']);
}

/** The leecher's own result line: `seconds` from adding the torrent until it had every piece. */
export function leechSeconds(m: Measurement): number {
  const line = m.stdout.trim().split('\n').reverse().find((l) => l.includes('"ok"'));
  if (!line) throw new Error(`libtorrent leecher printed no result: ${m.stderr.slice(-500)}`);
  const r = JSON.parse(line) as { ok: boolean; seconds: number | null; error: string | null };
  if (!r.ok || r.seconds === null) throw new Error(`libtorrent leecher failed: ${r.error}`);
  return r.seconds;
}
