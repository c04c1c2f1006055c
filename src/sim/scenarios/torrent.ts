/** A torrent for simulations: the info dict of a single file whose piece hashes are never checked (virtual storage verifies by arrival). */
import { encode } from '../../bencode/index.js';
import { parseTorrent, type Torrent } from '../../metainfo/torrent.js';

export function simTorrent(fileBytes: number, pieceLength: number, name = 'sim.bin'): Torrent {
  const pieces = Math.ceil(fileBytes / pieceLength);
  // Distinct fake hashes (the piece number), so nothing can mistake two pieces for one.
  const hashes = new Uint8Array(pieces * 20);
  for (let i = 0; i < pieces; i++) new DataView(hashes.buffer).setUint32(i * 20, i);
  return parseTorrent(encode({ info: { name, 'piece length': pieceLength, pieces: hashes, length: fileBytes } }));
}
