/** Torrents over real files for the storage tests, and the bytes each piece must hold. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import type { Torrent, TorrentVersion } from '../../src/metainfo/torrent.js';

/** Deterministic pseudo-random bytes. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A seeded PRNG for shuffles in tests. */
export function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

export function shuffle<T>(items: T[], seed: number): T[] {
  const r = prng(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = r(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export interface Fixture {
  readonly torrent: Torrent;
  readonly bytes: Uint8Array;
  /** The whole piece space (pads as zeros). */
  readonly space: Uint8Array;
  piece(p: number): Uint8Array;
}

/**
 * Writes `files` (relative path -> length) under `dir/<name>` (or the single file `dir/<name>`
 * when `files` is a number) and makes a torrent of them.
 */
export async function makeFixture(dir: string, name: string, files: Record<string, number> | number, version: TorrentVersion, pieceLength: number): Promise<Fixture> {
  const root = join(dir, name);
  if (typeof files === 'number') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(root, bytes(files, 7));
  } else {
    let seed = 1;
    for (const [rel, len] of Object.entries(files)) {
      const p = join(root, ...rel.split('/'));
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, bytes(len, seed++));
    }
  }
  const made = await createTorrent(root, { version, pieceLength, creationDate: null, threads: 0 });
  const t = made.torrent;
  const parts = t.layout.files.map((f) => (f.pad ? new Uint8Array(f.length) : readFileSync(t.multiFile ? join(root, ...f.path) : root)));
  const space = new Uint8Array(Buffer.concat(parts));
  return {
    torrent: t,
    bytes: made.bytes,
    space,
    piece: (p) => space.slice(p * t.pieceLength, p * t.pieceLength + t.layout.pieceSize(p)),
  };
}

/** The standard multi-file set: pieces cross files, one file is empty, one is tiny. */
export const MULTI_FILES = { 'a.bin': 70_000, 'empty.txt': 0, 'sub/b.bin': 16_384, 'sub/c.bin': 5, 'sub/deeper/d.bin': 100_001 };

/** Blocks of 16 KiB (the last of a piece shorter) of every piece: [piece, offset, length]. */
export function blocksOf(t: Torrent, blockSize = 16_384): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let p = 0; p < t.pieceCount; p++) {
    const size = t.layout.pieceSize(p);
    for (let o = 0; o < size; o += blockSize) out.push([p, o, Math.min(blockSize, size - o)]);
  }
  return out;
}

/** Asserts two byte arrays are equal, naming the first difference (deepEqual prints every byte). */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, message = ''): void {
  if (Buffer.compare(actual, expected) === 0) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  assert.fail(`${message} bytes differ at ${i} (lengths ${actual.length} / ${expected.length})`);
}
