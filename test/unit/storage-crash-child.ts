/**
 * The child process of the kill -9 test (storage-crash.test.ts): opens a torrent's storage
 * with resume data, then downloads the missing pieces from a payload file in random order
 * (some first with corrupt data), printing `verified <piece>` after each, until killed.
 *
 * argv: <torrent file> <payload file> <download dir> <resume file> <seed>
 */
import { readFileSync } from 'node:fs';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import { openTorrentStorage } from '../../src/storage/open.js';
import { blocksOf, prng, shuffle } from './storage-fixtures.js';

const [torrentPath, payloadPath, downloadDir, resumePath, seedText] = process.argv.slice(2);
const torrent = parseTorrent(readFileSync(torrentPath));
const space = readFileSync(payloadPath);
const seed = Number(seedText);
const rand = prng(seed);

const { storage, recorder, restored } = await openTorrentStorage(torrent, {
  downloadDir,
  resumePath,
  cacheBytes: 40 * 1024,
  recorder: { intervalMs: 3, maxUnsavedPieces: 3 },
});
process.stdout.write(`restored ${restored.mode} ${restored.have.count}\n`);

const byPiece = new Map<number, [number, number][]>();
for (const [p, o, n] of blocksOf(torrent, 8_192)) byPiece.set(p, [...(byPiece.get(p) ?? []), [o, n]]);
const todo = shuffle([...Array(torrent.pieceCount).keys()].filter((p) => !storage.hasPiece(p)), seed);
// Several pieces in flight at once, like a swarm: blocks of the next few pieces interleave.
const window = 3;
for (let i = 0; i < todo.length; i += window) {
  const batch = todo.slice(i, i + window);
  const blocks = shuffle(batch.flatMap((p) => (byPiece.get(p) ?? []).map(([o, n]) => [p, o, n] as const)), seed + i);
  for (const [p, o, n] of blocks) {
    const data = Uint8Array.from(space.subarray(p * torrent.pieceLength + o, p * torrent.pieceLength + o + n));
    if (rand(6) === 0 && o === 0) {
      data[0] ^= 0xff;
      await storage.writeBlock(p, o, data);
      if (await storage.verifyPiece(p)) throw new Error(`corrupt piece ${p} verified`);
      data[0] ^= 0xff;
    }
    await storage.writeBlock(p, o, data);
  }
  for (const p of batch) {
    if (!storage.hasPiece(p) && !(await storage.verifyPiece(p))) {
      // A corrupt first block made it fail: send the whole piece again.
      for (const [o, n] of byPiece.get(p) ?? []) await storage.writeBlock(p, o, space.subarray(p * torrent.pieceLength + o, p * torrent.pieceLength + o + n));
      if (!(await storage.verifyPiece(p))) throw new Error(`piece ${p} failed twice`);
    }
    process.stdout.write(`verified ${p}\n`);
    await recorder.maybeSave(Date.now());
  }
}
await recorder.close();
process.stdout.write('done\n');
