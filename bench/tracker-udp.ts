/**
 * UDP tracker throughput: `shoal tracker` vs `opentracker`, driven by the same load generator
 * in the same run. The generator (node:dgram, several sockets, a window of outstanding
 * announces each) connects once per socket and then sends BEP 15 announces for many info
 * hashes and many peers; it counts answered announces per second. The server's CPU is read
 * from /proc/<pid>/stat before and after, giving CPU seconds per 100,000 answered announces.
 * Then, in-process, peak memory per million peers held by `TrackerCore`.
 *
 *   npm run build && node dist/bench/tracker-udp.js [seconds=5] [sockets=8] [window=64]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { CLI_PATH } from '../test/interop/helpers.js';
import { createRandom } from '../src/runtime/random.js';
import type { Clock } from '../src/runtime/types.js';
import { TrackerCore } from '../src/tracker/server-core.js';
import { encodeAnnounce, encodeConnect } from '../src/tracker/udp-codec.js';

const SECONDS = Number(process.argv[2] ?? 5);
const SOCKETS = Number(process.argv[3] ?? 8);
const WINDOW = Number(process.argv[4] ?? 64);
const HASHES = 10_000;
const PEERS_PER_SOCKET = 50_000;

const hashes = Array.from({ length: HASHES }, (_, i) => {
  const h = new Uint8Array(20);
  new DataView(h.buffer).setUint32(0, i * 2654435761);
  new DataView(h.buffer).setUint32(16, i);
  return h;
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** [user, system] CPU seconds of a process (utime, stime in 100 Hz clock ticks). */
function cpuSeconds(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return [Number(parts[11]) / 100, Number(parts[12]) / 100];
}

interface Result {
  answered: number;
  seconds: number;
  cpu: number;
  sys: number;
}

async function drive(port: number, pid: number): Promise<Result> {
  const socks: Socket[] = [];
  let answered = 0;
  let running = true;
  const cids: bigint[] = [];
  for (let s = 0; s < SOCKETS; s++) {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    socks.push(sock);
    cids.push(
      await new Promise<bigint>((resolve) => {
        sock.once('message', (m: Buffer) => resolve(m.readBigUInt64BE(8)));
        sock.send(encodeConnect(s), port, '127.0.0.1');
      }),
    );
  }
  let seq = 0;
  const sendOne = (s: number): void => {
    const n = seq++;
    const peerId = new Uint8Array(20);
    const dv = new DataView(peerId.buffer);
    dv.setUint32(0, s);
    dv.setUint32(4, n % PEERS_PER_SOCKET);
    const pkt = encodeAnnounce(cids[s], n, { infoHash: hashes[n % HASHES], peerId, port: 1024 + (n % 60000), uploaded: 0, downloaded: 0, left: n % 3 === 0 ? 0 : 1000, event: 'none', numwant: 50, key: n });
    socks[s].send(pkt, port, '127.0.0.1');
  };
  // Lost datagrams would shrink the window: top it up every 50 ms.
  const outstanding = new Array<number>(SOCKETS).fill(0);
  socks.forEach((sock, s) =>
    sock.on('message', (m: Buffer) => {
      if (m.readUInt32BE(0) === 1) answered++;
      outstanding[s]--;
      if (running) {
        outstanding[s]++;
        sendOne(s);
      }
    }),
  );
  const topUp = setInterval(() => {
    for (let s = 0; s < SOCKETS; s++) {
      while (outstanding[s] < WINDOW) {
        outstanding[s]++;
        sendOne(s);
      }
    }
  }, 50);
  const refresh = setInterval(() => {
    // Connection ids last a minute: renew.
    socks.forEach((sock, s) => sock.send(encodeConnect(1_000_000 + s), port, '127.0.0.1'));
  }, 50_000);
  for (let s = 0; s < SOCKETS; s++) {
    for (let w = 0; w < WINDOW; w++) {
      outstanding[s]++;
      sendOne(s);
    }
  }
  // Warm-up second, then measure.
  await new Promise((r) => setTimeout(r, 1000));
  const a0 = answered;
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const a1 = answered;
  const c1 = cpuSeconds(pid);
  const t1 = performance.now();
  running = false;
  clearInterval(topUp);
  clearInterval(refresh);
  for (const s of socks) s.close();
  return { answered: a1 - a0, seconds: (t1 - t0) / 1000, cpu: c1[0] + c1[1] - c0[0] - c0[1], sys: c1[1] - c0[1] };
}

async function withShoal(): Promise<Result> {
  const port = await freePort();
  // SHOAL_BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server;
  // it is then stopped with SIGINT so the profile gets written.
  const flags = (process.env.SHOAL_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, CLI_PATH, 'tracker', '--udp', `127.0.0.1:${port}`, '--max-entries-per-ip', '100000000', '--max-entries-per-ip-per-torrent', '100'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on('line', () => resolve()));
  try {
    return await drive(port, child.pid ?? 0);
  } finally {
    if (flags.length) await new Promise((r) => child.once('exit', r).kill('SIGINT'));
    else child.kill('SIGKILL');
  }
}

async function withOpentracker(): Promise<Result | undefined> {
  if (!existsSync('/usr/bin/opentracker')) return undefined;
  const port = await freePort();
  const wl = `shoal-bench-ot-${process.pid}.txt`;
  writeFileSync(`/tmp/${wl}`, hashes.map((h) => Buffer.from(h).toString('hex')).join('\n') + '\n');
  const child: ChildProcess = spawn('/usr/bin/opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', '/tmp', '-w', `/${wl}`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  try {
    return await drive(port, child.pid ?? 0);
  } finally {
    child.kill('SIGKILL');
    rmSync(`/tmp/${wl}`, { force: true });
  }
}

interface Memory {
  peers: number;
  torrents: number;
  /** Heap + array buffers still held after a full GC. */
  retained: number;
  /** Highest resident set size growth while announcing. */
  peakRss: number;
}

/** A million peers announced into a fresh `TrackerCore` spread over `torrents` torrents (run in a child of its own). */
function memoryForMillion(torrents: number): Memory {
  const clock: Clock = { now: () => 0, setTimer: () => ({ cancel: () => undefined }) };
  const core = new TrackerCore({ clock, random: createRandom(1), maxPeers: 1_000_000, maxPeersPerTorrent: 1_000_000 });
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const held = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc();
  const before = held();
  const rss0 = process.memoryUsage().rss;
  const N = 1_000_000;
  const infoHash = new Uint8Array(20);
  const hv = new DataView(infoHash.buffer);
  const peerId = new Uint8Array(20);
  let peak = rss0;
  for (let i = 0; i < N; i++) {
    const t = i % torrents;
    hv.setUint32(0, Math.imul(t, 2654435761));
    hv.setUint32(16, t);
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    core.announce({ infoHash, peerId, port: 6881, uploaded: 0, downloaded: 0, left: i % 2, event: 'started', numwant: 0 }, host, 4, false);
    if ((i & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  gc();
  peak = Math.max(peak, process.memoryUsage().rss);
  return { peers: core.stats().peers, torrents: core.stats().torrents, retained: held() - before, peakRss: peak - rss0 };
}

if (process.argv[2] === '--memory') {
  process.stdout.write(JSON.stringify(memoryForMillion(Number(process.argv[3]))) + '\n');
  process.exit(0);
}

async function memoryInChild(torrents: number): Promise<Memory> {
  const child = spawn(process.execPath, ['--expose-gc', process.argv[1], '--memory', String(torrents)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(out) as Memory;
}

const fmt = (r: Result) => `${Math.round(r.answered / r.seconds)} announces/s, ${((r.cpu / r.answered) * 100_000).toFixed(2)} CPU s per 100k (${r.cpu.toFixed(2)} s CPU, ${r.sys.toFixed(2)} s of it system, for ${r.answered})`;
const shoal = await withShoal();
process.stdout.write(`shoal tracker: ${fmt(shoal)}\n`);
const ot = await withOpentracker();
if (ot) {
  process.stdout.write(`opentracker:   ${fmt(ot)}\n`);
  const rate = shoal.answered / shoal.seconds / (ot.answered / ot.seconds);
  const cpuRatio = ot.cpu / ot.answered / (shoal.cpu / shoal.answered);
  process.stdout.write(`ratio shoal/opentracker: rate ${rate.toFixed(2)}, CPU efficiency ${cpuRatio.toFixed(2)} (opentracker CPU per announce / shoal CPU per announce)\n`);
} else process.stdout.write('opentracker: not installed\n');
const mib = (b: number): string => (b / 1024 / 1024).toFixed(0);
for (const torrents of [10_000, 100_000, 1_000_000]) {
  const m = await memoryInChild(torrents);
  process.stdout.write(`memory: ${m.peers} peers in ${m.torrents} torrents: retained ${mib(m.retained)} MiB (${(m.retained / m.peers).toFixed(0)} B/peer), peak RSS growth ${mib(m.peakRss)} MiB\n`);
}
