/**
 * How `shoal seed` and `shoal get` behave while running and on the way out:
 * - Ctrl-C on `seed` with a tracker that never answers exits within the stopped-announce
 *   deadline (it took 85-115 s: UDP retransmits kept the process alive), with seed's own
 *   wording; a second Ctrl-C exits at once;
 * - `seed` at a path with part of the data says how much and which files are missing; a
 *   single file seeded under another name is the file seeded;
 * - `get` with no way to find peers prints a hint after a while and keeps waiting;
 * - `get` without -o saves into the current directory (it was a usage error);
 * - `shoal tracker --max-entries-per-ip` keeps one address flooding made-up torrents from
 *   making the tracker full for another.
 * Every child is bounded: each wait has a deadline and leftovers are killed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLI_PATH, makeTempDir, removeDir, run, shoalCreate, writeTree } from './helpers.js';

const FILES = [{ path: 'a.bin', length: 100_000 }, { path: 'b.bin', length: 60_000 }];

interface Child {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
}

let tmp = '';
let silentUdp: Socket;
let silentHttp: Server;
const children: Child[] = [];

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const c: Child = { child, stdout: '', stderr: '' };
  child.stdout?.on('data', (b: Buffer) => (c.stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (c.stderr += b.toString()));
  children.push(c);
  return c;
}

/** Polls `cond` every 50 ms for up to `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (let waited = 0; !cond() && waited < ms; waited += 50) await new Promise((r) => setTimeout(r, 50));
  assert.ok(cond(), `gave up waiting for ${what}`);
}

/** The exit code, or undefined if the child is still running after `ms`. */
function exitWithin(c: Child, ms: number): Promise<number | null | undefined> {
  if (c.child.exitCode !== null) return Promise.resolve(c.child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    c.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

before(async () => {
  tmp = makeTempDir('shoal-cli-lifecycle-');
  writeTree(join(tmp, 'data', 'pay'), FILES);
  // A UDP "tracker" that swallows every packet, and an HTTP one that accepts and never answers.
  silentUdp = createSocket('udp4');
  await new Promise<void>((r) => silentUdp.bind(0, '127.0.0.1', () => r()));
  silentHttp = createServer(() => undefined);
  await new Promise<void>((r) => silentHttp.listen(0, '127.0.0.1', () => r()));
  await shoalCreate(join(tmp, 'data', 'pay'), join(tmp, 'udp.torrent'), ['--piece-length', '16k', '--tracker', `udp://127.0.0.1:${silentUdp.address().port}/announce`]);
  await shoalCreate(join(tmp, 'data', 'pay'), join(tmp, 'http.torrent'), ['--piece-length', '16k', '--tracker', `http://127.0.0.1:${(silentHttp.address() as AddressInfo).port}/announce`]);
  await shoalCreate(join(tmp, 'data', 'pay'), join(tmp, 'bare.torrent'), ['--piece-length', '16k']);
});

after(() => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  silentUdp.close();
  silentHttp.closeAllConnections();
  silentHttp.close();
  removeDir(tmp);
});

describe('shoal seed on the way out', () => {
  it('Ctrl-C with an unreachable UDP tracker exits promptly with seed wording', { timeout: 60_000 }, async () => {
    const c = start(['seed', join(tmp, 'udp.torrent'), join(tmp, 'data', 'pay'), '--listen', '127.0.0.31:0', '--no-dht', '--state-dir', join(tmp, 'st-udp')]);
    await until(() => /listening on/.test(c.stdout), 30_000, 'listening on');
    c.child.kill('SIGINT');
    // The stopped announce has a deadline of a few seconds; before, retransmits held it for 85-115 s.
    const code = await exitWithin(c, 20_000);
    assert.equal(code, 130, `still running 20 s after Ctrl-C (stderr: ${c.stderr})`);
    assert.match(c.stderr, /stopped seeding pay: \d+\/\d+ pieces/);
    assert.doesNotMatch(c.stderr, /run the same command to continue/);
  });

  it('a second Ctrl-C exits at once while the stopped announce still waits', { timeout: 60_000 }, async () => {
    const c = start(['seed', join(tmp, 'http.torrent'), join(tmp, 'data', 'pay'), '--listen', '127.0.0.32:0', '--no-dht', '--state-dir', join(tmp, 'st-http')]);
    await until(() => /listening on/.test(c.stdout), 30_000, 'listening on');
    c.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    c.child.kill('SIGINT');
    assert.equal(await exitWithin(c, 20_000), 130);
    assert.match(c.stderr, /interrupted again: exiting now/);
  });

  it('says how much of the data a partial path holds, and which files are missing', { timeout: 60_000 }, async () => {
    const partial = join(tmp, 'partial', 'pay');
    writeTree(partial, FILES);
    rmSync(join(partial, 'b.bin'));
    const c = start(['seed', join(tmp, 'bare.torrent'), partial, '--listen', '127.0.0.33:0', '--no-dht', '--state-dir', join(tmp, 'st-partial')]);
    await until(() => /listening on/.test(c.stdout), 30_000, 'listening on');
    assert.match(c.stderr, /pay holds \d+ of \d+ pieces \(1 of 2 files missing \(b\.bin\)\); seeding those and downloading the rest from peers/);
    c.child.kill('SIGINT');
    assert.equal(await exitWithin(c, 20_000), 130);
  });
});

describe('shoal seed of a single file under another name', () => {
  it('seeds the file it was given (the storage used to look for the torrent name beside it)', { timeout: 90_000 }, async () => {
    const single = join(tmp, 'single');
    writeTree(single, [{ path: 'orig.bin', length: 70_000 }], 'single');
    await shoalCreate(join(single, 'orig.bin'), join(tmp, 'single.torrent'), ['--piece-length', '16k']);
    const renamed = join(tmp, 'renamed');
    mkdirSync(renamed);
    copyFileSync(join(single, 'orig.bin'), join(renamed, 'copy.bin'));
    const seed = start(['seed', join(tmp, 'single.torrent'), join(renamed, 'copy.bin'), '--listen', '127.0.0.37:0', '--no-dht', '--state-dir', join(tmp, 'st-renamed')]);
    await until(() => /listening on/.test(seed.stdout) || seed.child.exitCode !== null, 30_000, 'listening on');
    assert.match(seed.stdout, /listening on/, seed.stderr);
    assert.doesNotMatch(seed.stderr, /holds|none of the data/);
    assert.ok(!existsSync(join(renamed, 'orig.bin')), 'a file of the torrent name was created beside the data');
    const at = /listening on (\S+)/.exec(seed.stdout)?.[1] ?? '';
    const r = await run(process.execPath, [CLI_PATH, 'get', join(tmp, 'single.torrent'), '-o', join(tmp, 'single-out'), '--peer', at, '--listen', '127.0.0.38:0', '--no-dht', '--state-dir', join(tmp, 'st-single-get')], { timeoutMs: 60_000 });
    seed.child.kill('SIGINT');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(join(tmp, 'single-out', 'orig.bin')), readFileSync(join(single, 'orig.bin')));
  });
});

describe('shoal get with no way to find peers', () => {
  it('prints a hint naming what came up empty, and keeps waiting', { timeout: 60_000 }, async () => {
    const c = start(['get', join(tmp, 'bare.torrent'), '-o', join(tmp, 'out'), '--listen', '127.0.0.34:0', '--no-dht', '--state-dir', join(tmp, 'st-get')], { SHOAL_PEER_HINT_SECONDS: '1' });
    await until(() => /no peers found yet/.test(c.stderr), 30_000, 'the no-peers hint');
    assert.match(c.stderr, /no peers found yet: the torrent has no trackers and the DHT is off \(--no-dht\); still waiting \(try --peer HOST:PORT or --dht-bootstrap HOST:PORT\)/);
    assert.equal(c.child.exitCode, null, 'get gave up instead of waiting');
    c.child.kill('SIGINT');
    assert.equal(await exitWithin(c, 20_000), 130);
    assert.match(c.stderr, /interrupted at 0\/\d+ pieces; resume data saved/);
  });
});

describe('shoal get without -o', () => {
  it('downloads into the current directory', { timeout: 90_000 }, async () => {
    const seed = start(['seed', join(tmp, 'bare.torrent'), join(tmp, 'data', 'pay'), '--listen', '127.0.0.35:0', '--no-dht', '--state-dir', join(tmp, 'st-seed-cwd')]);
    await until(() => /listening on/.test(seed.stdout), 30_000, 'listening on');
    const at = /listening on (\S+)/.exec(seed.stdout)?.[1] ?? '';
    const cwd = join(tmp, 'cwd');
    mkdirSync(cwd);
    const r = await run(process.execPath, [CLI_PATH, 'get', join(tmp, 'bare.torrent'), '--peer', at, '--listen', '127.0.0.36:0', '--no-dht', '--state-dir', join(tmp, 'st-get-cwd')], { cwd, timeoutMs: 60_000 });
    seed.child.kill('SIGINT');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(join(cwd, 'pay', 'a.bin')), readFileSync(join(tmp, 'data', 'pay', 'a.bin')));
    assert.equal(statSync(join(cwd, 'pay', 'b.bin')).size, 60_000);
  });
});

describe('shoal tracker --max-entries-per-ip', () => {
  /** One HTTP announce for torrent `n` from `from` (a loopback address); the bencoded reply as text. */
  const announce = (port: number, from: string, n: number): Promise<string> => {
    const hash = Buffer.alloc(20, 0x41);
    hash.writeUInt32BE(n, 0);
    const q = `info_hash=${escape(hash.toString('latin1'))}&peer_id=${'-SH0001-'.padEnd(20, 'x')}&port=6881&uploaded=0&downloaded=0&left=100&compact=1`;
    return new Promise((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path: `/announce?${q}`, localAddress: from, agent: false }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString('latin1')));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
  };

  it('keeps one flooding address from making the tracker full for another', { timeout: 60_000 }, async () => {
    const c = start(['tracker', '--http', '127.0.0.1:0', '--max-torrents', '50', '--max-entries-per-ip', '10']);
    await until(() => /http tracker on http:\/\/127\.0\.0\.1:\d+/.test(c.stdout), 30_000, 'the tracker address');
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(c.stdout)?.[1]);
    const replies: string[] = [];
    for (let n = 0; n < 200; n++) replies.push(await announce(port, '127.0.0.41', n));
    assert.equal(replies.filter((r) => r.includes('too many torrents announced from your address')).length, 190);
    const honest = await announce(port, '127.0.0.42', 1_000_000);
    assert.doesNotMatch(honest, /failure reason/, `an honest new torrent was refused: ${honest}`);
    c.child.kill('SIGINT');
    assert.equal(await exitWithin(c, 20_000), 0);
  });
});
