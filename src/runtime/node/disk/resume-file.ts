/**
 * Resume data on disk (the Node file backend; the format is storage/resume-codec.ts): read it (typed errors only), write it atomically (temp file, fsync,
 * rename, fsync the directory), and record it as pieces verify.
 *
 * The contract (docs/storage.md): a piece is recorded only after its data was written and
 * fsynced (`storage.flush()` returns exactly those pieces), so after `kill -9` every recorded
 * piece is on disk. A clean shutdown records everything with `clean` set, so the next start
 * trusts the file without hashing while file sizes and mtimes match.
 */
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirs } from '../mkdirs.js';
import { ResumeDataError, ioError } from '../../../storage/errors.js';
import type { FileStorage } from '../../../storage/file-storage.js';
import { writeFully } from '../../../storage/file-io.js';
import type { Bitfield } from '../../../storage/bitfield.js';
import { RESUME_LIMITS_DEFAULTS, decodeResume, encodeResume, resumeInfoHash, type ResumeData, type ResumeLimits } from '../../../storage/resume-codec.js';

/**
 * Reads a resume file: null when there is none; `ResumeDataError` when it is corrupt or too
 * large (the caller then checks everything); `StorageIoError` when the disk fails.
 */
export async function readResumeFile(path: string, limits: ResumeLimits = {}): Promise<ResumeData | null> {
  const max = limits.maxBytes ?? RESUME_LIMITS_DEFAULTS.maxBytes;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ResumeDataError(`${path} is not a file`);
    if (st.size > max) throw new ResumeDataError(`${path} is larger than ${max} bytes`);
    return decodeResume(await readFile(path), limits);
  } catch (e) {
    if (e instanceof ResumeDataError) throw e;
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw ioError(e, path, 'read');
  }
}

/** Replaces the file at `path` with `bytes` (creating its directory) so that a crash leaves either the old or the new file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await makeDirs(dirname(path)); // never mkdir({ recursive: true }): it does not return under /proc
    const fh = await open(tmp, 'w');
    try {
      await writeFully(fh, tmp, bytes, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(e, path, 'write');
  }
  // Make the rename itself durable. Some platforms cannot open or fsync a directory.
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw ioError(e, dirname(path), 'fsync');
  }
}

export async function writeResumeFile(path: string, data: ResumeData): Promise<void> {
  await writeFileAtomic(path, encodeResume(data));
}

export interface ResumeRecorderOptions {
  /** Save at most this often while pieces keep verifying, in ms (default 30,000). */
  intervalMs?: number;
  /** Save at once when this many pieces verified since the last save (default 1,024). */
  maxUnsavedPieces?: number;
}

/**
 * A save fsyncs the data files, and an fsync makes this process do the kernel's writeback of
 * everything written since: saving every 5 s cost ~0.4 CPU s per GiB downloaded, which the
 * kernel's flusher threads do for free when given time. After a crash the pieces a save did
 * not record are still on disk and only re-hashed (check.ts), not fetched again.
 */
export const RESUME_RECORDER_DEFAULTS = { intervalMs: 30_000, maxUnsavedPieces: 1024 } as const satisfies Required<ResumeRecorderOptions>;

/**
 * Records a file storage's verified pieces in its resume file. The engine calls `maybeSave(now)`
 * after pieces verify (and on a timer), and `close()` at shutdown.
 */
export class ResumeRecorder {
  /** Saves written so far. */
  saves = 0;
  private readonly o: Required<ResumeRecorderOptions>;
  private lastSaveAt = -Infinity;
  private savedVerified = 0;
  private saving?: Promise<void>;

  constructor(readonly storage: FileStorage, readonly path: string, options: ResumeRecorderOptions = {}) {
    this.o = { ...RESUME_RECORDER_DEFAULTS, ...options };
    this.savedVerified = storage.stats().piecesVerified;
    // Before this session changes any file, the file on disk must stop claiming a clean state.
    storage.setBeforeFirstWrite(() => this.save());
  }

  /** Pieces verified since the last save. */
  get unsaved(): number {
    return this.storage.stats().piecesVerified - this.savedVerified;
  }

  /**
   * Saves when due: `maxUnsavedPieces` verified since the last save, or any verified and
   * `intervalMs` passed. `now` is the engine's clock. Resolves true when it saved.
   */
  async maybeSave(now: number): Promise<boolean> {
    const n = this.unsaved;
    if (this.saving || n === 0) return false;
    if (n < this.o.maxUnsavedPieces && now - this.lastSaveAt < this.o.intervalMs) return false;
    this.lastSaveAt = now;
    await this.save();
    return true;
  }

  /** Fsyncs the storage and records what is durable, marked unclean (a crash may follow). */
  save(): Promise<void> {
    // One save at a time; a call during a save waits for it and then saves again.
    const run = async () => {
      const verified = this.storage.stats().piecesVerified;
      const have = await this.storage.flush();
      await this.write(have, false);
      this.savedVerified = Math.max(this.savedVerified, verified);
    };
    const p = (this.saving ?? Promise.resolve()).then(run, run);
    const tracked: Promise<void> = p.finally(() => {
      if (this.saving === tracked) this.saving = undefined;
    });
    this.saving = tracked;
    return tracked;
  }

  /** Closes the storage (which flushes it) and records everything as a clean shutdown. */
  async close(): Promise<void> {
    await this.saving?.catch(() => undefined);
    this.storage.setBeforeFirstWrite(undefined);
    await this.storage.close();
    await this.write(this.storage.bitfield(), true);
  }

  private async write(have: Bitfield, clean: boolean): Promise<void> {
    const t = this.storage.torrent;
    const files = await this.storage.fileStates();
    await writeResumeFile(this.path, { infoHash: resumeInfoHash(t), pieceLength: t.pieceLength, have, files, clean });
    this.saves++;
  }
}
