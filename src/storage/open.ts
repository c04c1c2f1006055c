/**
 * Opening a torrent's files the way the engine should: file storage + resume data + the
 * check that decides which pieces are already had, in one call.
 */
import type { Torrent } from '../metainfo/torrent.js';
import { restore, type CheckOptions, type RestoreResult } from './check.js';
import { ResumeDataError } from './errors.js';
import { FileStorage, type FileStorageOptions } from './file-storage.js';
import type { ResumeData, ResumeLimits } from './resume-codec.js';
import { ResumeRecorder, readResumeFile, type ResumeRecorderOptions } from '../runtime/node/disk/resume-file.js';

export interface OpenTorrentStorageOptions extends FileStorageOptions, CheckOptions {
  /** Where this torrent's resume file lives (the session picks, e.g. `<state>/<infohash>.resume`). */
  resumePath: string;
  resumeLimits?: ResumeLimits;
  recorder?: ResumeRecorderOptions;
}

export interface OpenedTorrentStorage {
  readonly storage: FileStorage;
  readonly recorder: ResumeRecorder;
  readonly restored: RestoreResult;
}

/**
 * Opens the storage, reads the resume file (a corrupt one means a full check, never a
 * failure), restores the bitfield, and records the result when anything was hashed.
 */
export async function openTorrentStorage(torrent: Torrent, options: OpenTorrentStorageOptions): Promise<OpenedTorrentStorage> {
  const storage = new FileStorage(torrent, options);
  const recorder = new ResumeRecorder(storage, options.resumePath, options.recorder);
  try {
    let resume: ResumeData | null = null;
    let reason: string | undefined;
    try {
      resume = await readResumeFile(options.resumePath, options.resumeLimits);
    } catch (e) {
      if (!(e instanceof ResumeDataError)) throw e;
      reason = e.message;
    }
    const restored = await restore(storage, resume, options);
    if (restored.hashed > 0) await recorder.save();
    return { storage, recorder, restored: reason ? { ...restored, reason } : restored };
  } catch (e) {
    await storage.close().catch(() => undefined);
    throw e;
  }
}
