/** Storage: file layout <-> pieces, caching, verification, resume data, path safety (docs/storage.md). */
export * from './types.js';
export * from './errors.js';
export { Bitfield } from './bitfield.js';
export { PieceVerifier } from './verifier.js';
export { FdCache, FD_CACHE_DEFAULTS, type FdCacheOptions, type HandleMode } from '../runtime/node/disk/fd-cache.js';
export { FileStorage, FILE_STORAGE_DEFAULTS, type FileStorageOptions } from './file-storage.js';
export type { FileState } from './file-io.js';
export { MemoryStorage, type MemoryStorageOptions } from './memory-storage.js';
export { FaultyStorage, type FaultyStorageOptions } from './faulty-storage.js';
export { VirtualStorage } from './virtual-storage.js';
export { decodeResume, encodeResume, RESUME_FORMAT_VERSION, RESUME_LIMITS_DEFAULTS, resumeInfoHash, type ResumeData, type ResumeLimits } from './resume-codec.js';
export { ResumeRecorder, RESUME_RECORDER_DEFAULTS, readResumeFile, writeResumeFile, writeFileAtomic, type ResumeRecorderOptions } from '../runtime/node/disk/resume-file.js';
export { checkExisting, restore, type CheckOptions, type CheckProgress, type RestoreMode, type RestoreResult } from './check.js';
export { openTorrentStorage, type OpenTorrentStorageOptions, type OpenedTorrentStorage } from './open.js';
export { validatePathComponents, resolveInside, UnsafePathError, type PathSafetyOptions } from './path-safety.js';
