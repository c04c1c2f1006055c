/**
 * Ctrl-C during `shoal get` saves resume data; the same command run again continues where it
 * stopped instead of starting over. The seeder is Shoal in this process, upload-limited so the
 * first run is still going when it is interrupted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { RateLimiter } from '../../src/swarm/rate-limit.js';
import { CLI_PATH, runCli } from '../interop/helpers.js';

const SIZE = 4 * 1024 * 1024;
const PIECE = 32 * 1024;
let dir: string;
let torrent: Torrent;
let runtime: NodeRuntime;
let seeder: Session;
let seeding: Swarm;
let limiter: RateLimiter;
let endpoint: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-cli-resume-'));
  const data = new Uint8Array(SIZE);
  let x = 11;
  for (let i = 0; i < SIZE; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  mkdirSync(join(dir, 'seed'));
  writeFileSync(join(dir, 'seed', 'movie.bin'), data);
  const created = await createTorrent(join(dir, 'seed', 'movie.bin'), { pieceLength: PIECE, creationDate: null, threads: 0 });
  torrent = created.torrent;
  writeFileSync(join(dir, 'movie.torrent'), created.bytes);
  runtime = createNodeRuntime({ seed: 4 });
  limiter = new RateLimiter(runtime.clock, 512 * 1024);
  seeder = await Session.create({ runtime, stateDir: join(dir, 'seed-state'), listen: { host: '127.0.0.7', port: 0 } });
  seeding = await seeder.addTorrent({ torrent, downloadDir: join(dir, 'seed'), rateLimiters: { download: [], upload: [limiter] } });
  endpoint = `127.0.0.7:${seeder.listenAddress!.port}`;
});

after(async () => {
  await seeder.close();
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('shoal get, interrupted', () => {
  it('saves resume data on Ctrl-C, and the same command continues without fetching verified pieces again', async () => {
    const args = [CLI_PATH, 'get', join(dir, 'movie.torrent'), '-o', join(dir, 'out'), '--peer', endpoint, '--state-dir', join(dir, 'state'), '--no-dht', '--listen', '127.0.0.8:0'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once a good part (but not all) has gone out: 1.5 of 4 MiB at 512 KiB/s.
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the seeder uploaded too little within 60 s')), 60_000);
      const poll = setInterval(() => {
        if (seeding.stats().uploaded >= 1.5 * 1024 * 1024) {
          clearInterval(poll);
          clearTimeout(deadline);
          resolve();
        }
      }, 50);
    });
    child.kill('SIGINT');
    assert.equal(await exited, 130, `exit code (stderr: ${stderr})`);
    const m = /interrupted at (\d+)\/(\d+) pieces; resume data saved/.exec(stderr);
    assert.ok(m, `says where it stopped: ${stderr}`);
    const had = Number(m[1]);
    assert.ok(had > 0 && had < torrent.pieceCount, `stopped part way (${had}/${torrent.pieceCount})`);

    limiter.setRate(0); // the second run may go at full speed
    const second = await runCli(args.slice(1), { timeoutMs: 120_000 });
    assert.equal(second.code, 0, second.stderr);
    const done = /downloaded ([\d.]+) (B|KiB|MiB)/.exec(second.stdout);
    assert.ok(done, second.stdout);
    const downloaded = Number(done[1]) * { B: 1, KiB: 1024, MiB: 1024 * 1024 }[done[2] as 'B' | 'KiB' | 'MiB'];
    const left = SIZE - had * PIECE;
    // Only what was missing comes again (plus at most a few blocks of end-game duplicates).
    assert.ok(downloaded <= left + 64 * 1024, `second run downloaded ${downloaded} bytes; ${left} were missing`);
    assert.deepEqual(readFileSync(join(dir, 'out', 'movie.bin')), readFileSync(join(dir, 'seed', 'movie.bin')));
  });
});
