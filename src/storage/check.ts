/**
 * Deciding which pieces a file storage already holds when a torrent is opened:
 *
 * - no (or unusable) resume data: the fast check. Pieces whose bytes lie past the end of a
 *   file (or in a missing file) are missing without hashing; the others are hashed.
 * - resume data from a clean shutdown: trusted without hashing while each file's size and
 *   mtime match; pieces touching a changed file are checked again.
 * - resume data from a crash (not clean): every recorded piece was fsynced before it was
 *   recorded, so it is trusted (if its files are still long enough); only the pieces not
 *   recorded are checked.
 */
import { Bitfield } from './bitfield.js';
import { StorageClosedError } from './errors.js';
import type { FileState } from './file-io.js';
import type { FileStorage } from './file-storage.js';
import { spanParts } from './piece-map.js';
import type { ResumeData } from './resume-codec.js';
import { resumeInfoHash } from './resume-codec.js';

export interface CheckProgress {
  /** Pieces hashed so far. */
  readonly checked: number;
  /** Pieces to hash in all. */
  readonly total: number;
  /** Of those checked, the ones that verified. */
  readonly found: number;
}

export interface CheckOptions {
  onProgress?: (p: CheckProgress) => void;
  /** Pieces hashed at once, so reading one overlaps hashing another (default 2). */
  concurrency?: number;
  /** Stops the check; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type RestoreMode =
  /** No usable resume data: every piece with bytes on disk was hashed. */
  | 'full'
  /** A clean shutdown's resume data: trusted, only changed files re-checked. */
  | 'clean'
  /** Resume data written before a crash: recorded pieces trusted, the rest checked. */
  | 'crash';

export interface RestoreResult {
  readonly mode: RestoreMode;
  /** Why resume data was not used (mode 'full'). */
  readonly reason?: string;
  /** Pieces taken from resume data without hashing. */
  readonly trusted: number;
  /** Pieces hashed. */
  readonly hashed: number;
  /** Pieces now had. */
  readonly have: Bitfield;
}

/** The fast check of a torrent added over files that may already exist. */
export function checkExisting(storage: FileStorage, options: CheckOptions = {}): Promise<RestoreResult> {
  return restore(storage, null, options);
}

/** Restores the storage's bitfield from resume data (null: none), hashing only what it must. */
export async function restore(storage: FileStorage, resume: ResumeData | null, options: CheckOptions = {}): Promise<RestoreResult> {
  const states = await storage.fileStates();
  const n = storage.pieceCount;
  const present = (p: number) => onDisk(storage, states, p);
  const problem = resume ? mismatch(storage, resume) : 'no resume data';
  if (problem !== undefined || !resume) {
    const toCheck = range(n).filter(present);
    return finish(storage, 'full', new Bitfield(n), toCheck, options, problem);
  }
  const trusted = new Bitfield(n);
  const toCheck: number[] = [];
  if (resume.clean) {
    const changed = states.map((s, k) => !sameState(s, resume.files[k]));
    for (let p = 0; p < n; p++) {
      const touchesChanged = realFilesOf(storage, p).some((k) => changed[k]);
      if (!touchesChanged) {
        if (resume.have.has(p)) trusted.set(p);
      } else if (present(p)) toCheck.push(p);
    }
  } else {
    for (let p = 0; p < n; p++) {
      if (!present(p)) continue;
      if (resume.have.has(p)) trusted.set(p);
      else toCheck.push(p);
    }
  }
  return finish(storage, resume.clean ? 'clean' : 'crash', trusted, toCheck, options);
}

async function finish(storage: FileStorage, mode: RestoreMode, trusted: Bitfield, toCheck: number[], o: CheckOptions, reason?: string): Promise<RestoreResult> {
  storage.restoreBitfield(trusted);
  const total = toCheck.length;
  let checked = 0, found = 0, next = 0;
  const worker = async () => {
    while (next < toCheck.length) {
      if (o.signal?.aborted) throw o.signal.reason;
      const p = toCheck[next++];
      if (await storage.verifyPiece(p)) found++;
      checked++;
      o.onProgress?.({ checked, total, found });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 2, total) }, worker));
  } catch (e) {
    if (e instanceof StorageClosedError && o.signal?.aborted) throw o.signal.reason;
    throw e;
  }
  return { mode, reason, trusted: trusted.count, hashed: checked, have: storage.bitfield() };
}

/** Why resume data does not belong to this torrent, or undefined when it does. */
function mismatch(storage: FileStorage, r: ResumeData): string | undefined {
  const t = storage.torrent;
  if (Buffer.compare(r.infoHash, resumeInfoHash(t)) !== 0) return 'resume data is for another torrent';
  if (r.pieceLength !== t.pieceLength || r.have.length !== t.pieceCount) return 'resume data has another piece layout';
  if (r.files.length !== storage.realFiles.length) return 'resume data lists another number of files';
  return undefined;
}

function sameState(a: FileState, b: FileState): boolean {
  return a.exists === b.exists && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/** Positions in `realFiles` of the real files piece `p` touches. */
function realFilesOf(storage: FileStorage, p: number): number[] {
  const layout = storage.torrent.layout;
  return spanParts(layout, p, 0, layout.pieceSize(p)).filter((s) => !s.pad).map((s) => storage.realIndexOf[s.fileIndex]);
}

/** Whether every real byte of piece `p` lies inside an existing file. */
function onDisk(storage: FileStorage, states: readonly FileState[], p: number): boolean {
  const layout = storage.torrent.layout;
  return spanParts(layout, p, 0, layout.pieceSize(p)).every((s) => {
    if (s.pad) return true;
    const st = states[storage.realIndexOf[s.fileIndex]];
    return st.exists && st.size >= s.fileOffset + s.length;
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
