/**
 * `shoal get` tells its tracker it is leaving, with true counters, both ways it can exit:
 * - complete: `started` (left = size), `completed`, then `stopped` (left 0, downloaded = size),
 *   in that order, from a `shoal seed`;
 * - interrupted (SIGINT) mid-download from a libtorrent peer holding only the first file:
 *   `stopped` with left = size minus the verified pieces it reported, and a restart from the
 *   same state announces `started` with that same left.
 * The tracker is a small HTTP server here that records every announce.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH, PYTHON, libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, writeTree, type FileSpec } from './helpers.js';

const MiB = 1024 * 1024;
const NAME = 'payload';
const PIECE = 65536;
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 2 * MiB + 777 }, { path: 'b.bin', length: 300_001 }];
const TOTAL = FILES.reduce((n, f) => n + f.length, 0);
const lt = libtorrentAvailable();

/** A libtorrent peer serving whatever pieces its save path holds, printing its port. */
const LT_PARTIAL = `
import json, sys, time
import libtorrent as lt
torrent, save, host = sys.argv[1], sys.argv[2], sys.argv[3]
ses = lt.session({'listen_interfaces': host + ':0', 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
  'enable_natpmp': False, 'enable_incoming_utp': False, 'enable_outgoing_utp': False, 'allow_multiple_connections_per_ip': True})
atp = lt.add_torrent_params(); atp.ti = lt.torrent_info(torrent); atp.save_path = save
h = ses.add_torrent(atp)
while h.status().state not in (lt.torrent_status.downloading, lt.torrent_status.seeding):
    time.sleep(0.05)
print(json.dumps({'port': ses.listen_port(), 'pieces': h.status().num_pieces}), flush=True)
while True:
    time.sleep(1)
`;

interface Announce {
  event: string;
  uploaded: number;
  downloaded: number;
  left: number;
  port: number;
}

let tmp: string, seedDir: string, torrent: string;
let tracker: Server;
let trackerUrl: string;
const announces: Announce[] = [];
const children: ChildProcess[] = [];

before(async () => {
  tmp = makeTempDir('shoal-tracker-stopped-');
  seedDir = join(tmp, 'seed');
  writeTree(join(seedDir, NAME), FILES);
  torrent = join(tmp, 'p.torrent');
  await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
  tracker = createServer((req, res) => {
    const q = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    announces.push({ event: q.get('event') ?? 'none', uploaded: Number(q.get('uploaded')), downloaded: Number(q.get('downloaded')), left: Number(q.get('left')), port: Number(q.get('port')) });
    res.end('d8:intervali1800e5:peers0:e');
  });
  await new Promise<void>((r) => tracker.listen(0, '127.0.0.1', () => r()));
  trackerUrl = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}/announce`;
});
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  tracker.close();
  removeDir(tmp);
});

/** Spawns and resolves with the first stdout line that `pick` maps to a value. */
function spawnUntil<T>(cmd: string, args: string[], pick: (line: string) => T | undefined): { child: ChildProcess; value: Promise<T>; stderr: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const value = new Promise<T>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const v = pick(l);
      if (v !== undefined) resolve(v);
    });
    child.once('exit', (c) => reject(new Error(`${cmd} exited ${c}: ${err}`)));
  });
  return { child, value, stderr: () => err };
}

const exited = (c: ChildProcess): Promise<number | null> => (c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code))));
const eventsFor = (port: number): Announce[] => announces.filter((a) => a.port === port);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe('shoal get announces stopped on exit', () => {
  it('when complete: started, completed, stopped with left 0 and everything downloaded', async () => {
    const seed = spawnUntil(process.execPath, [CLI_PATH, 'seed', torrent, join(seedDir, NAME), '--listen', '127.0.0.21:0', '--no-dht', '--state-dir', join(tmp, 'st-seed')], (l) => /^listening on (.+)$/.exec(l)?.[1]);
    const seedAt = await seed.value;
    const r = await runCli(['get', torrent, '-o', join(tmp, 'out-complete'), '--peer', seedAt, '--tracker', trackerUrl, '--listen', '127.0.0.22:7611', '--no-dht', '--state-dir', join(tmp, 'st-complete')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    seed.child.kill('SIGINT');
    const ev = eventsFor(7611);
    assert.deepEqual(ev.map((e) => e.event), ['started', 'completed', 'stopped'], JSON.stringify(ev));
    assert.deepEqual([ev[0].left, ev[0].downloaded], [TOTAL, 0]);
    const stopped = ev[2];
    assert.equal(stopped.left, 0);
    // One seed, no duplicate pieces: every byte once (never less than the payload).
    assert.ok(stopped.downloaded >= TOTAL && stopped.downloaded < TOTAL + PIECE, `downloaded ${stopped.downloaded} of ${TOTAL}`);
    assert.equal(stopped.uploaded, 0, 'nobody downloaded from us');
  });

  it('when interrupted by SIGINT: stopped carries the true left and downloaded; a restart announces the same left', { skip: lt.ok ? false : lt.reason }, async () => {
    // The libtorrent peer has only a.bin: the pieces wholly inside it.
    const partial = join(tmp, 'partial');
    mkdirSync(join(partial, NAME), { recursive: true });
    copyFileSync(join(seedDir, NAME, 'a.bin'), join(partial, NAME, 'a.bin'));
    const script = join(tmp, 'lt_partial.py');
    writeFileSync(script, LT_PARTIAL);
    const peer = spawnUntil(PYTHON, ['-u', script, torrent, partial, '127.0.0.23'], (l) => (l.startsWith('{') ? (JSON.parse(l) as { port: number; pieces: number }) : undefined));
    const { port: peerPort, pieces } = await peer.value;
    const available = Math.floor(FILES[0].length / PIECE);
    assert.equal(pieces, available);

    const out = join(tmp, 'out-partial');
    const args = ['get', torrent, '-o', out, '--tracker', trackerUrl, '--listen', '127.0.0.24:7612', '--no-dht', '--state-dir', join(tmp, 'st-partial')];
    const get = spawn(process.execPath, [CLI_PATH, ...args, '--peer', `127.0.0.23:${peerPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(get);
    let err = '';
    get.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    // Wait until the bytes of every available piece are on disk, then interrupt.
    const want = readFileSync(join(seedDir, NAME, 'a.bin')).subarray(0, available * PIECE);
    const file = join(out, NAME, 'a.bin');
    await until(() => existsSync(file) && readFileSync(file).subarray(0, want.length).equals(want), 'the available pieces');
    await until(() => eventsFor(7612).some((e) => e.event === 'started'), 'started');
    get.kill('SIGINT');
    assert.equal(await exited(get), 130, err);
    const m = /interrupted at (\d+)\/(\d+) pieces/.exec(err);
    assert.ok(m, err);
    const have = Number(m[1]);
    assert.ok(have >= 1 && have <= available, `have ${have}`);
    const stopped = eventsFor(7612).filter((e) => e.event === 'stopped');
    assert.equal(stopped.length, 1, JSON.stringify(eventsFor(7612)));
    // Every piece it has is a whole 64 KiB one inside a.bin.
    assert.equal(stopped[0].left, TOTAL - have * PIECE);
    assert.ok(stopped[0].downloaded >= have * PIECE && stopped[0].downloaded <= available * PIECE, `downloaded ${stopped[0].downloaded}`);
    assert.equal(stopped[0].uploaded, 0);
    peer.child.kill('SIGKILL');

    // Restart from the same state with no peers: its started reports the same left.
    announces.length = 0;
    const again = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
    children.push(again);
    await until(() => eventsFor(7612).some((e) => e.event === 'started'), 'the restart announcing');
    again.kill('SIGINT');
    await exited(again);
    const ev = eventsFor(7612);
    assert.equal(ev[0].left, stopped[0].left, JSON.stringify(ev));
    assert.equal(ev.at(-1)?.event, 'stopped');
    assert.equal(ev.at(-1)?.left, stopped[0].left);
  });
});
