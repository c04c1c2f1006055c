/** The Node file backend's stat calls: a file's state as resume data records it, and a directory probe's stat. */
import { stat } from 'node:fs/promises';
import { ioError } from '../../../storage/errors.js';
import { MISSING_FILE, type FileState } from '../../../storage/file-io.js';

/** The state of the regular file at `path` (a directory or other non-file counts as missing). */
export async function fileState(path: string): Promise<FileState> {
  try {
    const st = await stat(path, { bigint: true });
    if (!st.isFile()) return MISSING_FILE;
    return { exists: true, size: Number(st.size), mtimeNs: st.mtimeNs };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return MISSING_FILE;
    throw ioError(e, path, 'stat');
  }
}

/** `DirProbe`'s stat (storage/file-io.ts). */
export const statDir = (path: string): Promise<{ isDirectory(): boolean }> => stat(path);
