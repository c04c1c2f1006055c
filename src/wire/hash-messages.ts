/**
 * BEP 52 hash request (21), hashes (22) and hash reject (23): payload codecs, request
 * validation, and the proof arithmetic to serve and verify them against a file's
 * `pieces root` (SHA-256 merkle trees of 16 KiB blocks, see metainfo/merkle.ts).
 *
 * Payload layouts (after the 1-byte message id):
 *   hash request, hash reject: <pieces_root:32><base_layer:4><index:4><length:4><proof_layers:4>
 *   hashes:                    <pieces_root:32><base_layer:4><index:4><length:4><proof_layers:4><hashes:32*n>
 *
 * `hashes` holds the `length` base-layer hashes, then one uncle hash per proof layer that is
 * not covered by the base hashes themselves: `max(0, proof_layers - log2(length) + 1)` uncles,
 * nearest the base first (BEP 52: "the first log2(length)-1 proof layers are omitted").
 */
import { createHash } from 'node:crypto';
import { HASH_SIZE, isPowerOfTwo, nextPowerOfTwo, zeroSubtreeRoot } from '../metainfo/merkle.js';
import { PeerProtocolError } from './errors.js';

/** Bytes of a hash request / hash reject payload, and of the fixed part of a hashes payload. */
export const HASH_REQUEST_PAYLOAD_LENGTH = HASH_SIZE + 16; // 48
/** BEP 52: "Length SHOULD NOT be greater than 512". */
export const MAX_HASH_REQUEST_LENGTH = 512;

export interface HashRequest {
  /** The file's 32-byte merkle root. */
  readonly piecesRoot: Uint8Array;
  /** Layers above the leaves: 0 = block hashes, log2(piece length / 16 KiB) = piece hashes. */
  readonly baseLayer: number;
  /** Offset, in hashes, of the first requested hash in the base layer; a multiple of `length`. */
  readonly index: number;
  /** How many base-layer hashes: a power of two, at least 2. */
  readonly length: number;
  /** How many ancestor layers to prove, counting the ones the base hashes cover. */
  readonly proofLayers: number;
}

export interface HashesPayload extends HashRequest {
  /** Concatenated 32-byte hashes: `length` base hashes then the uncles. A view, not a copy. */
  readonly hashes: Uint8Array;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Writes the 48-byte request part at `offset`. */
export function writeHashRequestPayload(r: HashRequest, target: Uint8Array, offset: number): void {
  if (r.piecesRoot.length !== HASH_SIZE) throw new RangeError(`pieces root must be ${HASH_SIZE} bytes`);
  target.set(r.piecesRoot, offset);
  putU32(target, offset + 32, r.baseLayer);
  putU32(target, offset + 36, r.index);
  putU32(target, offset + 40, r.length);
  putU32(target, offset + 44, r.proofLayers);
}

/** Reads a hash request / hash reject payload (exactly 48 bytes). Views into `p`. */
export function decodeHashRequestPayload(p: Uint8Array): HashRequest {
  if (p.length !== HASH_REQUEST_PAYLOAD_LENGTH) throw new PeerProtocolError('malformed_message', `hash request payload must be ${HASH_REQUEST_PAYLOAD_LENGTH} bytes, got ${p.length}`);
  return { piecesRoot: p.subarray(0, 32), baseLayer: u32(p, 32), index: u32(p, 36), length: u32(p, 40), proofLayers: u32(p, 44) };
}

/** Reads a hashes payload: 48 bytes then a whole number of 32-byte hashes. Views into `p`. */
export function decodeHashesPayload(p: Uint8Array): HashesPayload {
  if (p.length < HASH_REQUEST_PAYLOAD_LENGTH || (p.length - HASH_REQUEST_PAYLOAD_LENGTH) % HASH_SIZE !== 0) {
    throw new PeerProtocolError('malformed_message', `hashes payload must be ${HASH_REQUEST_PAYLOAD_LENGTH} bytes plus whole 32-byte hashes, got ${p.length}`);
  }
  return { ...decodeHashRequestPayload(p.subarray(0, HASH_REQUEST_PAYLOAD_LENGTH)), hashes: p.subarray(HASH_REQUEST_PAYLOAD_LENGTH) };
}

/** Why a request breaks BEP 52's MUST rules (or our length limit), or undefined when it is fine. */
export function hashRequestProblem(r: HashRequest, maxLength = MAX_HASH_REQUEST_LENGTH): string | undefined {
  if (r.length < 2 || !isPowerOfTwo(r.length)) return `length ${r.length} is not a power of two of at least 2`;
  if (r.length > maxLength) return `length ${r.length} is over the limit of ${maxLength}`;
  if (r.index % r.length !== 0) return `index ${r.index} is not a multiple of length ${r.length}`;
  if (r.baseLayer > 64 || r.proofLayers > 64) return 'base layer or proof layers out of any tree';
  return undefined;
}

/** How many uncle hashes a `hashes` answer to `r` carries. */
export function uncleCount(r: HashRequest): number {
  return Math.max(0, r.proofLayers - Math.log2(r.length) + 1);
}

/** Height of a file's tree, counted from `baseLayer` to the root, for a file of `leafCount` 16 KiB blocks. */
export function layerHeight(leafCount: number, baseLayer: number): number {
  return Math.log2(nextPowerOfTwo(Math.max(1, leafCount))) - baseLayer;
}

/** The `proof_layers` to ask for so the answer proves the hashes up to the pieces root. */
export function proofLayersToRoot(leafCount: number, baseLayer: number): number {
  return Math.max(0, layerHeight(leafCount, baseLayer) - 1);
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const d = createHash('sha256').update(a).update(b).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks the geometry of a request against a file of `leafCount` blocks. */
function geometryProblem(r: HashRequest, leafCount: number): string | undefined {
  const problem = hashRequestProblem(r, Number.MAX_SAFE_INTEGER);
  if (problem) return problem;
  const height = layerHeight(leafCount, r.baseLayer);
  if (height < 1) return `base layer ${r.baseLayer} is at or above the root`;
  const k = Math.log2(r.length);
  if (r.index + r.length > 2 ** height) return `hashes ${r.index}..${r.index + r.length} run past the layer's ${2 ** height} nodes`;
  if (k + uncleCount(r) > height) return `${r.proofLayers} proof layers run past the root`;
  return undefined;
}

export type HashesVerdict =
  | { readonly ok: true; /** The `length` base-layer hashes, views into the message. */ readonly hashes: Uint8Array[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Verifies a `hashes` answer against the file's pieces root. `leafCount` is the number of
 * 16 KiB blocks of the file, `ceil(file length / 16 KiB)`. The proof must reach the root: ask
 * with `proofLayers = proofLayersToRoot(leafCount, baseLayer)`.
 */
export function verifyHashes(m: HashesPayload, leafCount: number): HashesVerdict {
  const problem = geometryProblem(m, leafCount);
  if (problem) return { ok: false, reason: problem };
  const uncles = uncleCount(m);
  if (m.hashes.length !== (m.length + uncles) * HASH_SIZE) {
    return { ok: false, reason: `expected ${m.length} hashes and ${uncles} uncles, got ${m.hashes.length / HASH_SIZE} hashes` };
  }
  if (Math.log2(m.length) + uncles !== layerHeight(leafCount, m.baseLayer)) return { ok: false, reason: 'the proof does not reach the pieces root' };
  const base: Uint8Array[] = [];
  for (let i = 0; i < m.length; i++) base.push(m.hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  let level = base;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], level[i + 1]));
    level = next;
  }
  let node = level[0];
  let pos = m.index / m.length;
  for (let u = 0; u < uncles; u++) {
    const uncle = m.hashes.subarray((m.length + u) * HASH_SIZE, (m.length + u + 1) * HASH_SIZE);
    node = pos % 2 === 0 ? hashPair(node, uncle) : hashPair(uncle, node);
    pos = Math.floor(pos / 2);
  }
  if (!equal(node, m.piecesRoot)) return { ok: false, reason: 'hashes do not lead to the pieces root' };
  return { ok: true, hashes: base };
}

/**
 * Builds the `hashes` field answering `r` from the full base layer of a file (its real
 * nodes, unpadded: e.g. a piece layer from the torrent, or all block hashes). Returns
 * undefined when the request does not fit the tree (answer with hash reject). Costs one
 * hash per node above the base layer, so callers may cache.
 */
export function buildHashes(layer: readonly Uint8Array[], r: HashRequest, leafCount: number): Uint8Array | undefined {
  if (geometryProblem(r, leafCount)) return undefined;
  if (layer.length > 2 ** layerHeight(leafCount, r.baseLayer)) return undefined;
  const uncles = uncleCount(r);
  const out = new Uint8Array((r.length + uncles) * HASH_SIZE);
  const pad0 = zeroSubtreeRoot(r.baseLayer);
  for (let i = 0; i < r.length; i++) out.set(layer[r.index + i] ?? pad0, i * HASH_SIZE);
  const k = Math.log2(r.length);
  let level: readonly Uint8Array[] = layer;
  for (let j = 0, u = 0; u < uncles; j++) {
    const pad = zeroSubtreeRoot(r.baseLayer + j);
    if (j >= k) {
      const at = Math.floor(r.index / 2 ** j);
      const sibling = at % 2 === 0 ? at + 1 : at - 1;
      out.set(level[sibling] ?? pad, (r.length + u) * HASH_SIZE);
      u++;
    }
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], level[i + 1] ?? pad));
    level = next;
  }
  return out;
}
