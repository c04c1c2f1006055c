/**
 * Up-front checks of where a command will write, so a bad path is refused at once with one
 * line a user can act on (never a raw EEXIST/ENOENT, never a download stuck at 0%).
 */
import { closeSync, mkdirSync, openSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ShoalError } from '../errors.js';

/** A user's path cannot be used as asked. */
export class SavePathError extends ShoalError {}

/** Words for the system errors a user can get while creating or writing a path. */
const PROBLEMS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'the file system does not allow creating files there',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a file of that name is in the way',
};

function codeOf(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'EIO';
}

/** The error's meaning in words (its code when there are none). */
export function describeFsError(e: unknown): string {
  const code = codeOf(e);
  return PROBLEMS[code] ?? code;
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (e) {
    if (codeOf(e) === 'ENOENT' || codeOf(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Makes sure `dir` is a directory we can create files in, creating it (and missing parents)
 * when needed. `what` names the path for the user (`-o /x`). Creates one level at a time:
 * Node's recursive mkdir never returns on some pseudo file systems (`/proc/x`).
 */
export function ensureWritableDir(dir: string, what: string): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  let st: Stats | undefined;
  for (;;) {
    try {
      st = statOrUndefined(at);
    } catch (e) {
      throw new SavePathError(`${what}: cannot use ${at}: ${describeFsError(e)}`, { cause: e });
    }
    if (st !== undefined || dirname(at) === at) break;
    missing.unshift(at);
    at = dirname(at);
  }
  if (st !== undefined && !st.isDirectory()) {
    throw new SavePathError(at === abs ? `${what}: is a file, not a directory; give a directory to save into` : `${what}: ${at} is a file, not a directory`);
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if (codeOf(e) === 'EEXIST' && statOrUndefined(d)?.isDirectory()) continue;
      throw new SavePathError(`${what}: cannot create the directory ${d}: ${describeFsError(e)}`, { cause: e });
    }
  }
  // Permission bits do not tell (root, read-only mounts, pseudo file systems): try a file.
  const probe = join(abs, `.shoal-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw new SavePathError(`${what}: cannot write files in ${abs}: ${describeFsError(e)}`, { cause: e });
  }
}

/** Makes sure the file `file` can be created: its directory exists and takes new files. */
export function checkOutputFile(file: string, what: string): void {
  const abs = resolve(file);
  const st = statOrUndefined(abs);
  if (st?.isDirectory()) throw new SavePathError(`${what}: is a directory; give the path of the file to write`);
  const dir = dirname(abs);
  const dst = statOrUndefined(dir);
  if (dst === undefined) throw new SavePathError(`${what}: the directory ${dir} does not exist; create it first or write elsewhere`);
  if (!dst.isDirectory()) throw new SavePathError(`${what}: ${dir} is a file, not a directory`);
  const probe = join(dir, `.shoal-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw new SavePathError(`${what}: cannot write files in ${dir}: ${describeFsError(e)}`, { cause: e });
  }
}
