import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Clock, TimerHandle } from '../../src/runtime/types.js';
import { DiskFullError, StorageIoError } from '../../src/storage/errors.js';
import { FaultyStorage } from '../../src/storage/faulty-storage.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import type { PieceStorage } from '../../src/storage/types.js';
import { VirtualStorage } from '../../src/storage/virtual-storage.js';
import { storageConformance } from './storage-conformance.js';
import { makeFixture, type Fixture } from './storage-fixtures.js';

/** A hand-driven clock: timers fire when the test advances time. */
class ManualClock implements Clock {
  private t = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.live && x.at <= this.t);
    this.timers = this.timers.filter((x) => !due.includes(x));
    for (const x of due) x.fn();
  }
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p).split('\\').join('/'));
    }
  };
  walk(root);
  return out;
}

storageConformance({
  name: 'FileStorage',
  open: (torrent, root, o) => new FileStorage(torrent, { downloadDir: root, ...o }),
  listFiles,
  peakOpenFiles: (s) => (s as FileStorage).fdCache.peakOpen,
});

storageConformance({
  name: 'MemoryStorage',
  open: (torrent, _root, o) => new MemoryStorage(torrent, { onEvent: o.onEvent }),
});

describe('faulty and virtual storage', () => {
  let dir: string;
  let f: Fixture;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-faulty-'));
    f = await makeFixture(dir, 'single.bin', 100_000, 'v1', 32_768);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a disk that corrupts writes makes the piece fail its hash', async () => {
    const s = new FaultyStorage(new MemoryStorage(f.torrent), { corruptWrite: (p) => p === 1 });
    await s.writeBlock(0, 0, f.piece(0));
    await s.writeBlock(1, 0, f.piece(1));
    assert.equal(await s.verifyPiece(0), true);
    assert.equal(await s.verifyPiece(1), false);
    assert.deepEqual([...s.bitfield().indices()], [0]);
  });

  it('a full disk refuses writes with DiskFullError', async () => {
    const s = new FaultyStorage(new MemoryStorage(f.torrent), { capacityBytes: 40_000 });
    await s.writeBlock(0, 0, f.piece(0));
    const err = await s.writeBlock(1, 0, f.piece(1)).catch((e: unknown) => e);
    assert.ok(err instanceof DiskFullError);
    assert.equal(err.code, 'ENOSPC');
  });

  it('failing reads reject with StorageIoError', async () => {
    const s = new FaultyStorage(new MemoryStorage(f.torrent), { failRead: () => true });
    await s.writeBlock(0, 0, f.piece(0));
    assert.equal(await s.verifyPiece(0), true);
    await assert.rejects(s.readBlock(0, 0, 10), StorageIoError);
  });

  it('a slow disk answers after its delay on the virtual clock', async () => {
    const clock = new ManualClock();
    const s = new FaultyStorage(new MemoryStorage(f.torrent), { delay: { clock, ms: 250 } });
    let done = false;
    const w = s.writeBlock(0, 0, f.piece(0)).then(() => (done = true));
    clock.advance(200);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    clock.advance(50);
    await w;
    assert.equal(done, true);
  });

  it('the virtual storage passes a piece only when every byte arrived from good sources', async () => {
    const s: PieceStorage = new VirtualStorage(f.torrent.layout);
    const v = s as VirtualStorage;
    v.writeVirtual(0, 0, 16_384, true);
    assert.equal(await s.verifyPiece(0), false);
    v.writeVirtual(0, 0, 16_384, true);
    v.writeVirtual(0, 16_384, 16_384, true);
    assert.equal(await s.verifyPiece(0), true);
    v.writeVirtual(1, 0, 32_768, false);
    assert.equal(await s.verifyPiece(1), false);
    assert.deepEqual(await s.readBlock(0, 0, 4), new Uint8Array(4));
    assert.equal(VirtualStorage.seed(f.torrent.layout).bitfield().complete, true);
  });
});
