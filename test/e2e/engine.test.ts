/**
 * The engine end to end on loopback, Shoal to Shoal in one process: bad peers are dropped
 * or banned while the download completes from an honest one; an interrupted download
 * resumes without fetching verified pieces again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import type { SwarmEvent } from '../../src/swarm/swarm.js';
import { startFakePeer, type Misbehaviour } from './fake-peer.js';

let dir: string;
let torrent: Torrent;
let runtime: NodeRuntime;
let seeder: Session;
let seederPort: number;

function data(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-engine-'));
  const src = join(dir, 'seed', 'payload');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'big.bin'), data(6 * 1024 * 1024 + 4321, 1));
  writeFileSync(join(src, 'sub', 'small.bin'), data(100_000, 2));
  torrent = (await createTorrent(src, { pieceLength: 32 * 1024, creationDate: null, threads: 0 })).torrent;
  runtime = createNodeRuntime({ seed: 1 });
  seeder = await Session.create({ runtime, stateDir: join(dir, 'seed-state'), listen: { host: '127.0.0.6', port: 0 } });
  await seeder.addTorrent({ torrent, downloadDir: join(dir, 'seed') });
  seederPort = seeder.listenAddress!.port;
});

after(async () => {
  await seeder.close();
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

function sameAsSource(downloadDir: string): boolean {
  for (const f of ['big.bin', 'sub/small.bin']) {
    const a = readFileSync(join(dir, 'seed', 'payload', f));
    const b = readFileSync(join(downloadDir, 'payload', f));
    if (Buffer.compare(a, b) !== 0) return false;
  }
  return true;
}

/** Downloads with the given extra peers; resolves with the events once complete (or rejects on timeout). */
async function download(name: string, extraPeers: { host: string; port: number }[], stopAfterPieces?: number) {
  const events: SwarmEvent[] = [];
  const downloadDir = join(dir, name);
  const session = await Session.create({ runtime, stateDir: join(dir, `${name}-state`) });
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  let verified = 0;
  const swarm = await session.addTorrent({
    torrent,
    downloadDir,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'complete') resolveDone();
      if (e.type === 'piece-verified' && stopAfterPieces !== undefined && ++verified === stopAfterPieces) resolveDone();
    },
  });
  for (const p of extraPeers) swarm.addPeer(p);
  swarm.addPeer({ host: '127.0.0.6', port: seederPort });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${name}: no completion within 60 s`)), 60_000).unref());
  await Promise.race([done, timeout]);
  const stats = swarm.stats();
  await session.close();
  return { events, downloadDir, stats };
}

describe('the engine against misbehaving peers', () => {
  const cases: [Misbehaviour, string][] = [
    ['corrupt-blocks', 'bans a peer whose blocks fail the piece hash, and completes from the honest peer'],
    ['oversized-message', 'closes (without a ban) a peer that sends an oversized message, and completes'],
    ['out-of-range-have', 'closes (without a ban) a peer that announces an out-of-range piece, and completes'],
    ['unrequested-block', 'closes (without a ban) a peer that sends a block nobody requested, and completes'],
    ['request-missing-piece', 'closes (without a ban) a peer that requests a piece we do not have, and completes'],
  ];
  cases.forEach(([misbehaviour, title], i) => {
    it(title, async () => {
      const host = `127.0.1.${10 + i}`;
      const fake = await startFakePeer({ host, infoHash: torrent.infoHashV1!, pieceCount: torrent.pieceCount, misbehaviour });
      try {
        const { events, downloadDir } = await download(`dl-${misbehaviour}`, [{ host, port: fake.port }]);
        assert.ok(events.some((e) => e.type === 'complete'), 'download completed');
        assert.ok(sameAsSource(downloadDir), 'data matches the source');
        assert.ok(fake.connections >= 1, 'the fake peer was contacted');
        const banned = events.filter((e) => e.type === 'peer-banned').map((e) => (e as { address: string }).address);
        assert.ok(!banned.includes(`127.0.0.6:${seederPort}`), 'the honest seeder was not banned');
        if (misbehaviour === 'corrupt-blocks') {
          // Corrupt data bans the IP.
          assert.ok(events.some((e) => e.type === 'piece-failed'), 'a piece failed its hash check');
          assert.ok(banned.includes(`${host}:${fake.port}`), `fake peer banned (events: ${JSON.stringify(banned)})`);
        } else {
          // A protocol violation closes that connection; one is not enough for a ban.
          const closed = events.filter((e) => e.type === 'peer-disconnected' && e.address === `${host}:${fake.port}`);
          assert.ok(closed.some((e) => e.type === 'peer-disconnected' && e.reason.startsWith('protocol violation')), `closed for a violation (events: ${JSON.stringify(closed)})`);
          assert.ok(!banned.includes(`${host}:${fake.port}`), 'one violation does not ban');
        }
      } finally {
        await fake.close();
      }
    });
  });
});

describe('resuming', () => {
  it('an interrupted download resumes without fetching verified pieces again', async () => {
    const first = await download('resume', [], 40);
    assert.ok(first.stats.have >= 40 && first.stats.have < torrent.pieceCount, `first run stopped part way (${first.stats.have})`);
    const second = await download('resume', []);
    const ready = second.events.find((e) => e.type === 'ready') as { have: number } | undefined;
    assert.ok(ready && ready.have >= first.stats.have, `second run started from resume data (${ready?.have} >= ${first.stats.have})`);
    assert.ok(sameAsSource(second.downloadDir));
    const total = torrent.length;
    assert.ok(second.stats.downloaded < total - 30 * 32 * 1024, `second run downloaded only what was missing (${second.stats.downloaded} of ${total})`);
  });
});

describe('file priorities', () => {
  it('skips a file with priority 0 and completes with the others', async () => {
    const session = await Session.create({ runtime, stateDir: join(dir, 'prio-state') });
    const downloadDir = join(dir, 'prio');
    let done: () => void = () => undefined;
    const complete = new Promise<void>((r) => (done = r));
    const swarm = await session.addTorrent({ torrent, downloadDir, onEvent: (e) => e.type === 'complete' && done() });
    swarm.setFilePriorities([1, 0]); // big.bin yes, sub/small.bin no
    swarm.addPeer({ host: '127.0.0.6', port: seederPort });
    await complete;
    const stats = swarm.stats();
    await session.close();
    assert.equal(Buffer.compare(readFileSync(join(downloadDir, 'payload', 'big.bin')), readFileSync(join(dir, 'seed', 'payload', 'big.bin'))), 0);
    assert.ok(stats.have < stats.total, 'the skipped file was not downloaded');
  });
});
