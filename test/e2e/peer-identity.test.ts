/**
 * Outgoing connections leave from the listen address (issue 13): a session told to listen on
 * one loopback address dials from it, so the peer sees an address that answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';

let dir: string;
let torrent: Torrent;
let runtime: NodeRuntime;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-identity-'));
  mkdirSync(join(dir, 'seed'));
  writeFileSync(join(dir, 'seed', 'a.bin'), new Uint8Array(100_000).fill(3));
  torrent = (await createTorrent(join(dir, 'seed', 'a.bin'), { pieceLength: 32 * 1024, creationDate: null, threads: 0 })).torrent;
  runtime = createNodeRuntime({ seed: 5 });
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the listen address', () => {
  it('binds outgoing connections to the listen IP', async () => {
    const seen: string[] = [];
    const server = net.createServer((s) => {
      seen.push(s.remoteAddress ?? '');
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.7.2', r));
    const session = await Session.create({ runtime, stateDir: join(dir, 'state'), listen: { host: '127.0.7.1', port: 0 } });
    try {
      const swarm = await session.addTorrent({ torrent, downloadDir: join(dir, 'dl') });
      swarm.addPeer({ host: '127.0.7.2', port: (server.address() as net.AddressInfo).port });
      const started = Date.now();
      while (seen.length === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen.slice(0, 1), ['127.0.7.1']);
    } finally {
      await session.close();
      server.close();
    }
  });
});
