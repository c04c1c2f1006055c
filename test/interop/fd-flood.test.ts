/**
 * File-descriptor exhaustion (issue 12, item 1) against a real leecher: `shoal seed` runs
 * under a 256-descriptor limit while 300 connections that never send a byte are held open
 * against it. Before the fix every one held a descriptor for good, accept() failed with
 * EMFILE and a libtorrent leecher never got in. Now the seeder holds at most
 * `maxPendingHandshakes` of them, closes the rest at accept and the held ones at the
 * handshake deadline, and the leecher downloads and verifies everything.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH, libtorrentAvailable, makeTempDir, removeDir, shoalCreate, writeTree } from './helpers.js';
import { runLibtorrentLeecher } from './peers/index.js';

const lt = libtorrentAvailable();
const NAME = 'payload';
const SEEDER = '127.0.8.1';
let tmp: string;
let torrent: string;

before(async () => {
  tmp = makeTempDir('shoal-fd-flood-');
  writeTree(join(tmp, 'seed', NAME), [{ path: 'data.bin', length: 4 * 1024 * 1024 }]);
  torrent = join(tmp, 'flood.torrent');
  const r = await shoalCreate(join(tmp, 'seed', NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => removeDir(tmp));

describe('a seeder flooded with silent connections', { skip: lt.ok ? false : lt.reason }, () => {
  it('still serves a libtorrent leecher under a 256-descriptor limit with 300 silent connections held', async (t) => {
    const child = spawn('prlimit', ['--nofile=256:256', '--', process.execPath, CLI_PATH, 'seed', torrent, join(tmp, 'seed', NAME), '--listen', `${SEEDER}:0`, '--state-dir', join(tmp, 'state')], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const endpoint = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        const m = /^listening on (\S+)$/.exec(l);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`shoal seed exited ${code}: ${stderr}`)));
    });
    const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
    // 300 connections from 75 addresses, none of which sends anything or closes.
    const sockets: net.Socket[] = [];
    t.after(() => sockets.forEach((s) => s.destroy()));
    let refusedOrClosed = 0;
    await Promise.all(Array.from({ length: 300 }, (_, i) => new Promise<void>((resolve) => {
      const s = net.connect({ host: SEEDER, port, localAddress: `127.0.9.${1 + (i % 75)}`, allowHalfOpen: true });
      s.on('error', () => undefined);
      s.once('end', () => refusedOrClosed++);
      s.once('connect', () => resolve());
      s.once('close', () => resolve());
      sockets.push(s);
    })));
    const res = await runLibtorrentLeecher({ source: torrent, saveDir: join(tmp, 'leech'), host: '127.0.8.2', peers: [endpoint], encryption: 'plaintext', timeoutSeconds: 60, cleanup: t });
    assert.ok(res.ok, `libtorrent leecher failed: ${res.error}`);
    assert.equal(res.bytes, 4 * 1024 * 1024);
    assert.ok(refusedOrClosed >= 300 - 32, `the seeder closed ${refusedOrClosed} of the 300 silent connections`);
    assert.equal(child.exitCode, null, `the seeder is still running: ${stderr}`);
  });
});
