/**
 * Save paths: checked when a torrent is added, so a directory the daemon cannot write is
 * refused with a 400 that says why, instead of a torrent that sits at 0% (issue 12, item 12).
 * What cannot be known up front (a disk that fills, a directory made read-only later) puts
 * the torrent in the `error` state when a write fails.
 */
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, mkdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsolute, resolve } from 'node:path';
import { ServiceError } from '../types.js';
import { makeDirs } from '../../runtime/node/mkdirs.js';

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  ENOENT: 'no folder can be made there',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
};

/** Normalises `path` and makes sure it is a directory the daemon can write, creating it if needed; 400 naming the setting or field otherwise. */
export async function prepareSavePath(path: string, name: 'savePath' | 'downloadDir'): Promise<string> {
  if (path.includes('\0') || !isAbsolute(path)) throw new ServiceError(400, `${name} must be an absolute path without NUL bytes`);
  const dir = resolve(path);
  try {
    await makeDirs(dir); // not mkdir({ recursive }): it never returns under /proc (mkdirs.ts)
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK | constants.X_OK);
    // access() says yes to root everywhere, /proc and /sys included, where storage could then
    // not create the torrent's folder (and Node's recursive mkdir would spin for ever): make
    // and remove a folder to be sure one can be made.
    const probe = join(dir, `.shoal-write-test-${randomBytes(6).toString('hex')}`);
    await mkdir(probe);
    await rmdir(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ServiceError(400, `${name} ${JSON.stringify(dir)} cannot be written: ${REASONS[code] ?? (e as Error).message} (${code})`);
  }
  return dir;
}
