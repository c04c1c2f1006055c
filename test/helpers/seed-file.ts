import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import type { Torrent } from '../../src/metainfo/torrent.js';

/**
 * A fresh temp directory holding `seed/data.bin`, `bytes` of a fixed pseudo-random pattern,
 * and its v1+v2 torrent at `pieceLength` (no creation date: the same info hash each run).
 */
export async function makeSeedFile(prefix: string, bytes: number, pieceLength: number): Promise<{ dir: string; data: Uint8Array; torrent: Torrent }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'seed'));
  const data = new Uint8Array(bytes);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(dir, 'seed', 'data.bin'), data);
  const torrent = (await createTorrent(join(dir, 'seed', 'data.bin'), { pieceLength, creationDate: null, threads: 0 })).torrent;
  return { dir, data, torrent };
}
