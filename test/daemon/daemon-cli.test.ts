/**
 * `shoal daemon` as a process, driven through its HTTP API: a magnet downloads from a Shoal
 * seeder on loopback; `kill -9` mid-download, then a restart, loses no verified piece and no
 * added torrent, and the download completes; SIGTERM shuts down cleanly; a taken port is
 * named and ends the process with exit code 1.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { formatMagnet } from '../../src/metainfo/magnet.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import type { Session } from '../../src/session/session.js';
import type { TorrentDetails, TorrentPage } from '../../src/daemon/types.js';
import { CLI_PATH } from '../interop/helpers.js';
import { hex, makeTorrent, startSeeder, waitFor } from './service-helpers.js';

let dir: string;
let runtime: NodeRuntime;
let seeder: Session | undefined;
const children: ChildProcess[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-daemon-cli-'));
  runtime = createNodeRuntime();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await seeder?.close();
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Daemon {
  readonly child: ChildProcess;
  readonly base: string;
  readonly token: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
}

/** `shoal daemon <args>` with stdout and stderr gathered; `started` is true once `ready(output)` holds, false if it exits first. */
function spawnLoggedDaemon(args: string[], what: string, ready: (out: string) => boolean) {
  const child = spawn(process.execPath, [CLI_PATH, 'daemon', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const started = Promise.race([waitFor(what, () => ready(out), 20_000).then(() => true), exited.then(() => false)]);
  return { child, output: () => out, exited, started };
}

function startDaemon(stateDir: string, downloadDir: string): Promise<Daemon> {
  const child = spawn(process.execPath, [CLI_PATH, 'daemon', '--state-dir', stateDir, '--config', join(stateDir, 'config.json'), '--download-dir', downloadDir, '--api', '127.0.0.1:0', '--listen', '127.0.0.52:0', '--no-dht'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^web UI: (http:\/\/[^/]+)\/#token=(\S+)$/.exec(line);
      if (!m) return;
      const [, base, token] = m;
      const api = async <T>(method: string, path: string, body?: unknown) => {
        const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
        const text = await res.text();
        return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
      };
      resolve({ child, base, token, exited, api });
    });
    void exited.then(({ code }) => reject(new Error(`daemon exited ${code}: ${stderr}`)));
  });
}

function bits(details: TorrentDetails): Set<number> {
  const bytes = Buffer.from(details.pieces, 'base64');
  const out = new Set<number>();
  for (let i = 0; i < details.pieceCount; i++) if (bytes[i >> 3] & (0x80 >> (i & 7))) out.add(i);
  return out;
}

it('loses no verified piece and no added torrent to kill -9 mid-download, then completes after a restart', async () => {
  const src = await makeTorrent(join(dir, 'seed'), 'payload', [{ path: 'big.bin', length: 4_000_000 }, { path: 'small.bin', length: 50_000 }]);
  const s = await startSeeder(runtime, join(dir, 'seed-state'), '127.0.0.51', src.torrent, join(dir, 'seed'));
  seeder = s.session;
  const id = hex(src.torrent);
  const magnet = formatMagnet({ infoHashV1: src.torrent.infoHashV1, name: 'payload', trackers: [], webSeeds: [], peers: [{ host: '127.0.0.51', port: s.port }] });
  const stateDir = join(dir, 'state'), downloadDir = join(dir, 'dl');

  let d = await startDaemon(stateDir, downloadDir);
  assert.equal((await d.api('GET', '/api/torrents')).status, 200);
  assert.equal((await d.api('PATCH', '/api/settings', { downloadRateLimit: 250_000 })).status, 200); // ~16 s in all
  const added = await d.api<{ infoHash: string }>('POST', '/api/torrents', { magnet });
  assert.deepEqual([added.status, added.json.infoHash], [201, id]);
  const progress = async () => (await d.api<TorrentDetails>('GET', `/api/torrents/${id}`)).json;
  let last: TorrentDetails | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    last = await progress();
    if (last.progress >= 0.3) break;
  }
  assert.ok(last && last.progress >= 0.3 && last.progress < 1, `mid-download (progress ${last?.progress})`);
  // A torrent added just before the crash: the reply came after it was durable.
  const other = await makeTorrent(join(dir, 'other'), 'other', [{ path: 'o.bin', length: 30_000 }]);
  const otherAdd = await d.api<{ infoHash: string }>('POST', '/api/torrents', { torrent: Buffer.from(other.bytes).toString('base64'), paused: true });
  assert.equal(otherAdd.status, 201);
  const before = bits(await progress());
  d.child.kill('SIGKILL');
  assert.equal((await d.exited).signal, 'SIGKILL');

  d = await startDaemon(stateDir, downloadDir);
  const list = (await d.api<TorrentPage>('GET', '/api/torrents?sort=name')).json;
  assert.deepEqual(list.torrents.map((t) => [t.infoHash, t.name]), [[otherAdd.json.infoHash, 'other'], [id, 'payload']]);
  assert.equal(list.torrents[0].state, 'paused');
  // Once checked, every piece verified before the crash is still there.
  const restored = await waitFor('the restarted torrent to open its storage', async () => {
    const t = await progress();
    return t.state === 'downloading' || t.state === 'seeding' ? t : undefined;
  }, 30_000);
  const now = bits(restored);
  const lost = [...before].filter((p) => !now.has(p));
  assert.deepEqual(lost, [], `verified pieces lost: ${lost.length} of ${before.size}`);

  await d.api('PATCH', '/api/settings', { downloadRateLimit: 0 });
  await waitFor('the download to complete', async () => (await progress()).state === 'seeding', 60_000).catch(async (e: Error) => {
    const t = await progress();
    throw new Error(`${e.message}: ${t.state}, progress ${t.progress}, peers ${JSON.stringify(t.peerList)}${t.error ? `, error ${t.error}` : ''}`);
  });
  for (const f of ['big.bin', 'small.bin']) assert.deepEqual(readFileSync(join(downloadDir, 'payload', f)), readFileSync(join(src.root, f)), f);

  d.child.kill('SIGTERM');
  assert.deepEqual(await d.exited, { code: 0, signal: null });
});

/** Runs `shoal daemon` until it exits (killed after 20 s: it must not keep running). */
async function runUntilExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI_PATH, 'daemon', '--state-dir', join(dir, 'in-use-state'), '--config', join(dir, 'in-use-config.json'), '--no-dht', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(killer);
  return { code, stderr };
}

it('exits 1 naming the address when the API port or the peer port is taken', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.53', r));
  const taken = `127.0.0.53:${(holder.address() as AddressInfo).port}`;
  try {
    const api = await runUntilExit(['--api', taken, '--listen', '127.0.0.54:0']);
    assert.equal(api.code, 1, api.stderr);
    assert.equal(api.stderr.trim(), `shoal: the API address ${taken} is already in use (--api); is another shoal daemon running?`);
    const peers = await runUntilExit(['--api', '127.0.0.53:0', '--listen', taken]);
    assert.equal(peers.code, 1, peers.stderr);
    assert.equal(peers.stderr.trim(), `shoal: the peer address ${taken} is already in use (--listen); stop what holds it or pick another port`);
  } finally {
    holder.close();
  }
});

it('starts on a free peer port, with a warning, when the listenPort setting (from the web UI) is taken; --no-port-mapping overrides the setting', async () => {
  // Refusing to start here would also lock the user out of the web UI, where the setting is changed back.
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as AddressInfo).port;
  const stateDir = join(dir, 'taken-setting');
  const config = join(dir, 'taken-setting.json');
  writeFileSync(config, JSON.stringify({ listenPort: port, portMapping: true, lsd: false, utp: false }));
  const { child, output, exited, started } = spawnLoggedDaemon(['--state-dir', stateDir, '--config', config, '--api', '127.0.0.55:0', '--no-dht', '--no-lsd', '--no-port-mapping'],
    'the peer port in the log', (out) => /peers: listening on \S+:\d+/.test(out));
  try {
    assert.ok(await started, `the daemon exited: ${output()}`);
    const out = output();
    assert.match(out, new RegExp(`the peer port ${port} \\(listenPort setting\\) is already in use; using a free port for this run`));
    const listening = Number(/peers: listening on \S+:(\d+)/.exec(out)![1]);
    assert.notEqual(listening, port);
    const [, base, token] = /web UI: (http:\/\/[^/]+)\/#token=(\S+)/.exec(out)!;
    const settings = (await (await fetch(`${base}/api/settings`, { headers: { authorization: `Bearer ${token}` } })).json()) as { portMapping: boolean };
    assert.equal(settings.portMapping, false, '--no-port-mapping is in force');
    assert.equal((JSON.parse(readFileSync(config, 'utf8')) as { portMapping: boolean }).portMapping, true, 'and not written back');
  } finally {
    child.kill('SIGTERM');
    await exited;
    holder.close();
  }
});

it('keeps the API up when the listenPort setting names the API\'s own port: the peers take a free one', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.57', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const config = join(dir, 'same-port.json');
  writeFileSync(config, JSON.stringify({ listenPort: port, portMapping: false, lsd: false, utp: false }));
  const { child, output, exited, started } = spawnLoggedDaemon(['--state-dir', join(dir, 'same-port'), '--config', config, '--api', `127.0.0.57:${port}`, '--no-dht', '--no-lsd'],
    'the API address on stdout', (out) => /web UI: http:\/\/127\.0\.0\.57:\d+\//.test(out) && /peers: listening on \S+:\d+/.test(out));
  try {
    assert.ok(await started, `the daemon exited: ${output()}`);
    const out = output();
    assert.match(out, new RegExp(`the peer port ${port} \\(listenPort setting\\) is the API's port`));
    assert.notEqual(Number(/peers: listening on \S+:(\d+)/.exec(out)![1]), port);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
