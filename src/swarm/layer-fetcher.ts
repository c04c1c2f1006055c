/**
 * BEP 52 piece layers for a torrent known only from its info dict (a v2 magnet link): asks
 * peers for each file's piece-layer hashes with proofs up to the file's `pieces root`,
 * verifies every answer, and assembles the `piece layers` the torrent needs.
 */
import { BLOCK_SIZE, concatBytes, nextPowerOfTwo } from '../metainfo/merkle.js';
import { copyBytes } from '../util/bytes.js';
import type { Torrent } from '../metainfo/torrent.js';
import { proofLayersToRoot, verifyHashes, type HashRequest, type HashesPayload } from '../wire/index.js';

/** Largest `length` per request (BEP 52 suggests peers serve at most 512). */
const MAX_LENGTH = 512;

interface Wanted {
  readonly root: Uint8Array;
  readonly key: string;
  readonly pieces: number;
  readonly leafCount: number;
  readonly hashes: (Uint8Array | undefined)[];
}

export class LayerFetcher<P> {
  private readonly files: Wanted[] = [];
  private readonly baseLayer: number;
  /** Requests in flight, by the peer they went to. */
  private readonly inFlight = new Map<string, P>();
  private readonly refused = new Set<P>();

  constructor(readonly torrent: Torrent) {
    this.baseLayer = Math.log2(torrent.pieceLength / BLOCK_SIZE);
    for (const f of torrent.layout.files) {
      if (f.pad || !f.piecesRoot || f.length <= torrent.pieceLength) continue;
      const key = Buffer.from(f.piecesRoot).toString('latin1');
      if (torrent.pieceLayers.has(key) || this.files.some((w) => w.key === key)) continue;
      const pieces = Math.ceil(f.length / torrent.pieceLength);
      this.files.push({ root: f.piecesRoot, key, pieces, leafCount: Math.ceil(f.length / BLOCK_SIZE), hashes: new Array<Uint8Array | undefined>(pieces).fill(undefined) });
    }
  }

  get done(): boolean {
    // (Arrays are filled, not sparse: every() skips holes.)
    return this.files.every((w) => w.hashes.every((h) => h !== undefined));
  }

  /** Requests not yet in flight, assigned to `peer` (one peer may take them all). */
  requestsFor(peer: P): HashRequest[] {
    if (this.refused.has(peer)) return [];
    const out: HashRequest[] = [];
    for (const w of this.files) {
      const length = Math.max(2, Math.min(MAX_LENGTH, nextPowerOfTwo(w.pieces)));
      for (let index = 0; index < w.pieces; index += length) {
        const id = `${w.key}/${index}`;
        if (this.inFlight.has(id) || w.hashes[index] !== undefined) continue;
        this.inFlight.set(id, peer);
        out.push({ piecesRoot: w.root, baseLayer: this.baseLayer, index, length, proofLayers: proofLayersToRoot(w.leafCount, this.baseLayer) });
      }
    }
    return out;
  }

  /** Takes an answer; false when it failed verification (the peer lied). */
  onHashes(peer: P, m: HashesPayload): boolean {
    const key = Buffer.from(m.piecesRoot).toString('latin1');
    const w = this.files.find((x) => x.key === key);
    const id = `${key}/${m.index}`;
    if (!w || this.inFlight.get(id) !== peer || m.baseLayer !== this.baseLayer) return true; // not ours: ignore
    this.inFlight.delete(id);
    const verdict = verifyHashes(m, w.leafCount);
    if (!verdict.ok) return false;
    verdict.hashes.forEach((h, i) => {
      if (m.index + i < w.pieces) w.hashes[m.index + i] = copyBytes(h);
    });
    return true;
  }

  /** The peer refused or left: its requests go to someone else. */
  release(peer: P, refused: boolean): void {
    if (refused) this.refused.add(peer);
    for (const [id, p] of this.inFlight) if (p === peer) this.inFlight.delete(id);
  }

  /** The assembled layers, keyed by pieces root (binary string). */
  layers(): Map<string, Uint8Array> {
    return new Map(this.files.map((w) => [w.key, concatBytes(w.hashes as Uint8Array[])]));
  }
}
