/**
 * Daemon start-up at scale: a state directory with N torrents (default 10,000; mostly small
 * seeding torrents with their data and clean resume data, every tenth paused), then
 * `shoal daemon` as a child process. Measures the time from spawn until `GET /api/torrents`
 * answers (target: 5 s), the RSS then, the time until every swarm has started in the
 * background, and the RSS and CPU once that has settled.
 *
 *   npm run build && node dist/bench/daemon-startup.js [torrents=10000] [--keep DIR]
 *
 * The generated state is kept in $TMPDIR/shoal-bench-daemon-<N> and reused by later runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH } from '../test/interop/helpers.js';
import { createTorrent } from '../src/runtime/node/create/create-torrent.js';
import { resumePathFor } from '../src/session/session.js';
import { Bitfield } from '../src/storage/bitfield.js';
import { fileState } from '../src/runtime/node/disk/file-state.js';
import { writeResumeFile } from '../src/runtime/node/disk/resume-file.js';
import { StateStore } from '../src/daemon/service/state-store.js';
import { printBenchLine } from './lib/measure.js';

const N = Number(process.argv[2] ?? 10_000);
const TARGET_SECONDS = 5;

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i - (i + 4 > n ? i + 4 - n : 0));
  }
  return out;
}

async function generate(root: string): Promise<void> {
  const stateDir = join(root, 'state'), data = join(root, 'data');
  mkdirSync(data, { recursive: true });
  const store = StateStore.open(stateDir);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const file = join(data, `t${i}.bin`);
    writeFileSync(file, bytes(8 * 1024 + ((i * 7919) % (56 * 1024)), i + 1));
    const { torrent, bytes: meta } = await createTorrent(file, { pieceLength: 16 * 1024, version: 'v1', creationDate: null, threads: 0 });
    const id = Buffer.from(torrent.infoHashV1!).toString('hex');
    await store.writeMeta(id, meta);
    await writeResumeFile(resumePathFor(stateDir, torrent, data), { infoHash: torrent.infoHashV1!, pieceLength: torrent.pieceLength, have: Bitfield.full(torrent.pieceCount), files: [await fileState(file)], clean: true });
    store.records.set(id, {
      id, name: torrent.name, savePath: data, addedAt: 1_700_000_000_000 + i, paused: i % 10 === 9, hasMetadata: true,
      size: torrent.length, bytesHave: torrent.length, complete: true, downloaded: 0, uploaded: 0,
    });
    if (i % 1000 === 999) process.stderr.write(`generated ${i + 1}/${N} torrents (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  // Settings: no DHT (nothing may reach the internet), the defaults otherwise.
  writeFileSync(join(stateDir, 'settings.json'), JSON.stringify({ dht: false }));
  await store.close();
  writeFileSync(join(root, 'complete'), String(N));
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (100 Hz)
}

async function main(): Promise<void> {
  const root = join(tmpdir(), `shoal-bench-daemon-${N}`);
  if (!existsSync(join(root, 'complete'))) {
    rmSync(root, { recursive: true, force: true });
    await generate(root);
  }
  const stateDir = join(root, 'state');
  // A previous run's shutdown rewrote the state; it stays a valid 'clean' state for the next.
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI_PATH, 'daemon', '--state-dir', stateDir, '--api', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--no-dht', '--download-dir', join(root, 'data')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let startedLine: (l: string) => void = () => undefined;
  const started = new Promise<string>((r) => (startedLine = r));
  const api = new Promise<{ base: string; token: string }>((resolve) => {
    lines.on('line', (l) => {
      const m = /^web UI: (http:\/\/[^/]+)\/#token=(\S+)$/.exec(l);
      if (m) resolve({ base: m[1], token: m[2] });
      if (l.startsWith('torrents: ')) startedLine(l);
    });
  });
  const { base, token } = await api;
  let page: { total: number } | undefined;
  while (!page) {
    const res = await fetch(`${base}/api/torrents?limit=100`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    if (res?.status === 200) page = (await res.json()) as { total: number };
  }
  const apiSeconds = (performance.now() - t0) / 1000;
  const rssAtApi = rssMb(child.pid!);
  const t1 = performance.now();
  const listed = await fetch(`${base}/api/torrents?state=seeding&sort=name&limit=50`, { headers: { authorization: `Bearer ${token}` } });
  const listMs = performance.now() - t1;
  const startedLineText = await started;
  const settleSeconds = (performance.now() - t0) / 1000;
  const rssSettled = rssMb(child.pid!);
  const stats = (await (await fetch(`${base}/api/stats`, { headers: { authorization: `Bearer ${token}` } })).json()) as { torrents: Record<string, number> };
  const cpuAtSettle = cpuSeconds(child.pid!);
  await new Promise((r) => setTimeout(r, 10_000));
  const idleCpu = (cpuSeconds(child.pid!) - cpuAtSettle) / 10;
  const rssIdle = rssMb(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));

  console.log(`daemon-startup: ${page.total} torrents in state; API answered after ${apiSeconds.toFixed(2)} s (RSS ${rssAtApi.toFixed(0)} MB)`);
  console.log(`daemon-startup: filtered+sorted page (state=seeding, sort=name) in ${listMs.toFixed(0)} ms, status ${listed.status}`);
  console.log(`daemon-startup: ${startedLineText}; all swarms running after ${settleSeconds.toFixed(1)} s (RSS ${rssSettled.toFixed(0)} MB, ${rssIdle.toFixed(0)} MB 10 s later; idle CPU ${(idleCpu * 100).toFixed(0)}% of a core)`);
  console.log(`daemon-startup: by state once settled: ${Object.entries(stats.torrents).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  printBenchLine('daemon-startup', apiSeconds, TARGET_SECONDS, 's to API', 'target');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
