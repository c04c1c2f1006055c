/**
 * bench transfer-encrypted: what MSE with RC4 costs a 1 GiB download over loopback.
 *
 *   Shoal:      `shoal get --encryption require` (RC4 both ways) from a libtorrent seeder
 *               with pe_forced + pe_rc4, against `shoal get --encryption plaintext` from a
 *               plaintext libtorrent seeder: CPU ratio (target <= 1.3)
 *   libtorrent: a libtorrent leecher the same two ways, printed beside it
 *
 * Alternating, SHOAL_BENCH_RUNS (2) runs each, best of each compared.
 * node dist/bench/transfer-encrypted.js [SIZE] (default 1G; SHOAL_BENCH_SIZE also works)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH, PY_DIR, PYTHON, runCli, writeLargeFile } from '../test/interop/helpers.js';
import { formatNumber, measureChild, printBenchLine, startMeasuredChild, type Measurement } from './lib/measure.js';

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
}

const size = parseSize(process.argv[2] ?? process.env.SHOAL_BENCH_SIZE ?? '1G');
const runs = Math.max(1, Number(process.env.SHOAL_BENCH_RUNS ?? 2));
const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-mse-'));
const data = join(dir, 'data', 'big.bin');
const torrent = join(dir, 'big.torrent');

type LtEncryption = 'plaintext' | 'forced';

async function ltSeeder(host: string, encryption: LtEncryption) {
  const child = startMeasuredChild(PYTHON, [join(PY_DIR, 'lt_seed.py'), torrent, join(dir, 'data'), '--host', host, '--port', '0', '--status-interval', '0', '--encryption', encryption, '--seed-mode']);
  const line = await child.waitForLine(/"ready"/, 60_000);
  return { endpoint: `${host}:${(JSON.parse(line) as { port: number }).port}`, stop: () => child.kill('SIGTERM') };
}

async function ltLeech(peer: string, host: string, encryption: LtEncryption): Promise<Measurement> {
  const out = join(dir, 'out-lt');
  const m = await measureChild(PYTHON, [join(PY_DIR, 'lt_leech.py'), torrent, out, '--host', host, '--peer', peer, '--encryption', encryption, '--status-interval', '0', '--timeout', '300']);
  if (m.exitCode !== 0) throw new Error(`libtorrent leecher failed: ${m.stderr}`);
  rmSync(out, { recursive: true, force: true });
  return m;
}

async function shoalGet(peer: string, encryption: 'require' | 'plaintext', r: number): Promise<Measurement> {
  const out = join(dir, 'out-shoal');
  const m = await measureChild(process.execPath, [CLI_PATH, 'get', torrent, '-o', out, '--peer', peer, '--listen', '127.0.0.3:0', '--encryption', encryption, '--state-dir', join(dir, `state-${encryption}-${r}`), '--no-dht', '--no-utp']);
  if (m.exitCode !== 0) throw new Error(`shoal get failed: ${m.stderr}`);
  rmSync(out, { recursive: true, force: true });
  return m;
}

const line = (m: Measurement) => `${m.wallSeconds.toFixed(2)} s / ${m.cpuSeconds.toFixed(2)} CPU s`;
const best = (ms: Measurement[]) => Math.min(...ms.map((m) => m.cpuSeconds));

try {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeLargeFile(data, size);
  const created = await runCli(['create', data, '-o', torrent, '--v1', '--piece-length', '1m', '--no-date']);
  if (created.code !== 0) throw new Error(created.stderr);
  console.log(`# ${size} bytes, 1 MiB pieces, v1, loopback; libtorrent ${PYTHON} (python3-libtorrent); seeders in seed mode`);
  const plainSeed = await ltSeeder('127.0.0.2', 'plaintext');
  const rc4Seed = await ltSeeder('127.0.0.12', 'forced');
  const shoal = { plain: [] as Measurement[], rc4: [] as Measurement[] };
  const lt = { plain: [] as Measurement[], rc4: [] as Measurement[] };
  for (let r = 0; r < runs; r++) {
    shoal.plain.push(await shoalGet(plainSeed.endpoint, 'plaintext', r));
    shoal.rc4.push(await shoalGet(rc4Seed.endpoint, 'require', r));
    lt.plain.push(await ltLeech(plainSeed.endpoint, '127.0.0.4', 'plaintext'));
    lt.rc4.push(await ltLeech(rc4Seed.endpoint, '127.0.0.14', 'forced'));
    console.log(`# run ${r + 1}: shoal plaintext ${line(shoal.plain[r])}, rc4 ${line(shoal.rc4[r])}; libtorrent plaintext ${line(lt.plain[r])}, rc4 ${line(lt.rc4[r])}`);
  }
  plainSeed.stop();
  rc4Seed.stop();
  printBenchLine('download-cpu-rc4', best(shoal.rc4), best(shoal.plain), 'CPU s', 'shoal plaintext');
  const ltRatio = best(lt.rc4) / best(lt.plain);
  console.log(`bench download-cpu-rc4-libtorrent: libtorrent ${formatNumber(best(lt.rc4))} CPU s, libtorrent plaintext ${formatNumber(best(lt.plain))} CPU s, ratio ${ltRatio.toFixed(2)}`);
  printBenchLine('download-cpu-rc4-vs-libtorrent', best(shoal.rc4), best(lt.rc4), 'CPU s', 'libtorrent rc4');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
