import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, merkleRoot, nextPowerOfTwo, pieceHashFromLeaves, rootFromPieceLayer } from '../../src/metainfo/merkle.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import {
  buildHashes, decodeHashRequestPayload, decodeHashesPayload, hashRequestProblem, proofLayersToRoot, uncleCount, verifyHashes,
  writeHashRequestPayload, type HashRequest,
} from '../../src/wire/hash-messages.js';

const leaf = (i: number) => new Uint8Array(createHash('sha256').update(`block ${i}`).digest());

// A file of 37 blocks and a little more, with 64 KiB pieces (4 blocks per piece).
const FILE_LENGTH = 37 * BLOCK_SIZE + 100;
const LEAF_COUNT = Math.ceil(FILE_LENGTH / BLOCK_SIZE); // 38
const PIECE_LENGTH = 4 * BLOCK_SIZE;
const leaves = Array.from({ length: LEAF_COUNT }, (_, i) => leaf(i));
const ROOT = merkleRoot(leaves, nextPowerOfTwo(LEAF_COUNT));
const pieceLayer: Uint8Array[] = [];
for (let i = 0; i < LEAF_COUNT; i += 4) pieceLayer.push(pieceHashFromLeaves(leaves.slice(i, i + 4), PIECE_LENGTH, FILE_LENGTH));

const req = (baseLayer: number, index: number, length: number, proofLayers = proofLayersToRoot(LEAF_COUNT, baseLayer)): HashRequest => ({ piecesRoot: ROOT, baseLayer, index, length, proofLayers });

describe('wire hash messages (BEP 52)', () => {
  it('the test tree is consistent with metainfo/merkle.ts', () => {
    assert.deepEqual(rootFromPieceLayer(pieceLayer, PIECE_LENGTH, FILE_LENGTH), ROOT);
  });

  it('round-trips the 48-byte request payload and the hashes payload', () => {
    const r = req(2, 8, 8);
    const p = new Uint8Array(48);
    writeHashRequestPayload(r, p, 0);
    assert.deepEqual({ ...decodeHashRequestPayload(p) }, { ...r });
    const withHashes = new Uint8Array(48 + 64);
    withHashes.set(p);
    assert.equal(decodeHashesPayload(withHashes).hashes.length, 64);
    assert.throws(() => decodeHashesPayload(withHashes.subarray(0, 48 + 33)), PeerProtocolError);
    assert.throws(() => decodeHashRequestPayload(p.subarray(0, 47)), PeerProtocolError);
  });

  it('counts uncles as proof layers minus those the base hashes cover', () => {
    assert.equal(uncleCount({ ...req(0, 0, 2), proofLayers: 1 }), 1);
    assert.equal(uncleCount({ ...req(0, 0, 8), proofLayers: 5 }), 3);
    assert.equal(uncleCount({ ...req(0, 0, 8), proofLayers: 1 }), 0);
  });

  it('names the MUST rules a request breaks', () => {
    assert.equal(hashRequestProblem(req(0, 0, 8)), undefined);
    assert.match(hashRequestProblem(req(0, 0, 1)) ?? '', /power of two/);
    assert.match(hashRequestProblem(req(0, 0, 6)) ?? '', /power of two/);
    assert.match(hashRequestProblem(req(0, 4, 8)) ?? '', /multiple/);
    assert.match(hashRequestProblem(req(0, 0, 1024)) ?? '', /limit/);
  });

  for (const [name, r, layer] of [
    ['leaf hashes in the middle of the file', req(0, 8, 8), leaves],
    ['leaf hashes at the end of the file, padded with zero hashes', req(0, 32, 8), leaves],
    ['two leaf hashes with the longest proof', req(0, 20, 2), leaves],
    ['piece-layer hashes', req(2, 8, 8), pieceLayer],
    ['the whole piece layer (no uncles)', req(2, 0, 16), pieceLayer],
  ] as const) {
    it(`serves and verifies ${name}`, () => {
      const hashes = buildHashes(layer, r, LEAF_COUNT);
      assert.ok(hashes);
      assert.equal(hashes.length, (r.length + uncleCount(r)) * 32);
      const v = verifyHashes({ ...r, hashes }, LEAF_COUNT);
      assert.ok(v.ok, v.ok ? '' : v.reason);
      for (let i = 0; i < r.length; i++) if (layer[r.index + i]) assert.deepEqual(v.hashes[i], layer[r.index + i]);
    });
  }

  it('rejects a tampered base hash or uncle', () => {
    const r = req(0, 8, 8);
    const hashes = buildHashes(leaves, r, LEAF_COUNT) as Uint8Array;
    for (const at of [0, 7 * 32 + 5, hashes.length - 1]) {
      const bad = hashes.slice();
      bad[at] ^= 1;
      const v = verifyHashes({ ...r, hashes: bad }, LEAF_COUNT);
      assert.equal(v.ok, false);
    }
  });

  it('rejects the wrong number of hashes, bad geometry and proofs that stop short of the root', () => {
    const r = req(0, 8, 8);
    const hashes = buildHashes(leaves, r, LEAF_COUNT) as Uint8Array;
    assert.equal(verifyHashes({ ...r, hashes: hashes.subarray(32) }, LEAF_COUNT).ok, false);
    assert.equal(verifyHashes({ ...r, index: 4, hashes }, LEAF_COUNT).ok, false);
    assert.equal(verifyHashes({ ...r, index: 64, hashes }, LEAF_COUNT).ok, false, 'past the layer');
    const short = { ...r, proofLayers: r.proofLayers - 1 };
    assert.equal(verifyHashes({ ...short, hashes: buildHashes(leaves, short, LEAF_COUNT) as Uint8Array }, LEAF_COUNT).ok, false);
    assert.equal(buildHashes(leaves, { ...r, proofLayers: 40 }, LEAF_COUNT), undefined, 'past the root');
  });
});
