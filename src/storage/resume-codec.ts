/**
 * The resume file format: one bencoded dictionary (BEP 3 encoding; Shoal's own keys).
 *
 *   d
 *     11:shoal resumei1e          format version
 *     9:info hash  20 or 32 bytes  v1 info hash, or the v2 one for v2-only torrents
 *     12:piece length i<n>e
 *     11:piece count i<n>e
 *     6:pieces <bitfield bytes>     verified and fsynced pieces, BEP 3 bit order
 *     5:files l l i<size>e i<mtime ns>e e ... e   one per real file; size -1: file absent
 *     5:clean i0e | i1e             1: written at a clean shutdown, everything recorded
 *   e
 *
 * `decodeResume` has size limits and never throws anything but `ResumeDataError`.
 */
import { BencodeError, decode } from '../bencode/decode.js';
import { encode } from '../bencode/encode.js';
import type { BValue } from '../bencode/types.js';
import type { Torrent } from '../metainfo/torrent.js';
import { Bitfield, bitfieldFromStored } from './bitfield.js';
import { ResumeDataError } from './errors.js';
import type { FileState } from './file-io.js';

export const RESUME_FORMAT_VERSION = 1;

export interface ResumeData {
  readonly infoHash: Uint8Array;
  readonly pieceLength: number;
  readonly have: Bitfield;
  /** One per real file, in torrent order. */
  readonly files: readonly FileState[];
  readonly clean: boolean;
}

export interface ResumeLimits {
  /** Largest resume file accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Most pieces (default 16,000,000, as the torrent parser). */
  maxPieces?: number;
  /** Most files (default 1,000,000, as the torrent parser). */
  maxFiles?: number;
}

export const RESUME_LIMITS_DEFAULTS = {
  maxBytes: 64 * 1024 * 1024,
  maxPieces: 16_000_000,
  maxFiles: 1_000_000,
} as const satisfies Required<ResumeLimits>;

export function encodeResume(d: ResumeData): Uint8Array {
  return encode({
    'shoal resume': RESUME_FORMAT_VERSION,
    'info hash': d.infoHash,
    'piece length': d.pieceLength,
    'piece count': d.have.length,
    pieces: d.have.toBytes(),
    files: d.files.map((f) => (f.exists ? [f.size, f.mtimeNs] : [-1, 0])),
    clean: d.clean ? 1 : 0,
  });
}

export function decodeResume(bytes: Uint8Array, limits: ResumeLimits = {}): ResumeData {
  const o = { ...RESUME_LIMITS_DEFAULTS, ...limits };
  if (bytes.length > o.maxBytes) throw new ResumeDataError(`larger than ${o.maxBytes} bytes`);
  let root: BValue;
  try {
    root = decode(bytes, { maxSize: o.maxBytes, maxDepth: 4, maxStringLength: Math.ceil(o.maxPieces / 8) });
  } catch (e) {
    if (e instanceof BencodeError) throw new ResumeDataError(e.message, { cause: e });
    throw new ResumeDataError('undecodable', { cause: e });
  }
  if (!(root instanceof Map)) throw new ResumeDataError('not a dictionary');
  const int = (key: string, min: number, max: number): number => {
    const v = root.get(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new ResumeDataError(`'${key}' must be an integer in [${min}, ${max}]`);
    return v;
  };
  const version = int('shoal resume', 0, Number.MAX_SAFE_INTEGER);
  if (version !== RESUME_FORMAT_VERSION) throw new ResumeDataError(`format version ${version} is not ${RESUME_FORMAT_VERSION}`);
  const infoHash = root.get('info hash');
  if (!(infoHash instanceof Uint8Array) || (infoHash.length !== 20 && infoHash.length !== 32)) throw new ResumeDataError("'info hash' must be 20 or 32 bytes");
  const pieceLength = int('piece length', 1, Number.MAX_SAFE_INTEGER);
  const pieceCount = int('piece count', 0, o.maxPieces);
  const pieces = root.get('pieces');
  if (!(pieces instanceof Uint8Array)) throw new ResumeDataError("'pieces' must be a byte string");
  let have: Bitfield;
  try {
    have = bitfieldFromStored(pieceCount, pieces);
  } catch (e) {
    throw new ResumeDataError(`'pieces': ${(e as Error).message}`, { cause: e });
  }
  const list = root.get('files');
  if (!Array.isArray(list)) throw new ResumeDataError("'files' must be a list");
  if (list.length > o.maxFiles) throw new ResumeDataError(`more than ${o.maxFiles} files`);
  const files = list.map((f, i) => fileStateOf(f, i));
  return { infoHash: infoHash.slice(), pieceLength, have, files, clean: int('clean', 0, 1) === 1 };
}

function fileStateOf(v: BValue, i: number): FileState {
  if (!Array.isArray(v) || v.length !== 2) throw new ResumeDataError(`files[${i}] must be [size, mtime]`);
  const [size, mtime] = v;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < -1) throw new ResumeDataError(`files[${i}]: bad size`);
  if (typeof mtime !== 'number' && typeof mtime !== 'bigint') throw new ResumeDataError(`files[${i}]: bad mtime`);
  if (size === -1) return { exists: false, size: 0, mtimeNs: 0n };
  return { exists: true, size, mtimeNs: BigInt(mtime) };
}

/** The info hash resume data is keyed by: v1 when the torrent has one, else v2. */
export function resumeInfoHash(t: Torrent): Uint8Array {
  const h = t.infoHashV1 ?? t.infoHashV2;
  if (!h) throw new RangeError('torrent has no info hash');
  return h;
}
