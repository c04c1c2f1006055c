/**
 * `POST /api/torrents/:id/files/:index/rename`: a file of a torrent under another path. The
 * info dict (and so the info hash) stays; the daemon keeps the new paths in the torrent's
 * record and lays the torrent out with them whenever it loads it (`withRenames`), so storage,
 * the file list, streaming and "delete data" all use the new name.
 */
import { rename, rmdir, stat } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { PieceLayout } from '../../metainfo/layout.js';
import type { Torrent } from '../../metainfo/torrent.js';
import type { RenamedFile } from '../../swarm/webseed-url.js';
import { UnsafePathError, resolveInside, validatePathComponents } from '../../storage/path-safety.js';
import { ServiceError } from '../types.js';
import { makeDirs } from '../../runtime/node/mkdirs.js';

/** Longest new path accepted (characters) and most components. */
export const MAX_RENAME_PATH_LENGTH = 4096;
export const MAX_RENAME_DEPTH = 64;

/**
 * The torrent laid out with the renamed files' paths (real-file index → components). A saved
 * rename that is not a safe path (a hand-edited state file) is ignored: storage trusts layout
 * paths to have passed the path rules.
 */
export function withRenames(t: Torrent, renames: Readonly<Record<string, readonly string[]>> | undefined): Torrent {
  if (!renames || Object.keys(renames).length === 0) return t;
  let real = -1;
  const files = t.layout.files.map((f: RenamedFile): RenamedFile => {
    if (f.pad) return f;
    real++;
    const path = renames[String(real)];
    // The torrent's own path stays known: a web seed (BEP 19) serves the file under it.
    return path && safeComponents(path) ? { ...f, path: [...path], torrentPath: f.torrentPath ?? f.path } : f;
  });
  return { ...t, layout: new PieceLayout(files, t.layout.pieceLength) };
}

function safeComponents(path: unknown): boolean {
  if (!Array.isArray(path) || path.length === 0 || path.length > MAX_RENAME_DEPTH || !path.every((c) => typeof c === 'string')) return false;
  try {
    return validatePathComponents(path as string[]).every((c, i) => c === path[i]);
  } catch {
    return false;
  }
}

/**
 * Checks a new path from a client ('/'-separated, relative to the torrent's folder, or to the
 * save path for a single-file torrent) by the rules torrent file names follow
 * (storage/path-safety.ts); 400 with the reason otherwise. Returns its components.
 */
export function parseNewPath(text: string): string[] {
  if (text.length === 0 || text.length > MAX_RENAME_PATH_LENGTH) throw new ServiceError(400, `path must be 1 to ${MAX_RENAME_PATH_LENGTH} characters`);
  if (text.startsWith('/')) throw new ServiceError(400, 'path must be relative (to the torrent\'s folder)');
  const parts = text.split('/');
  if (parts.length > MAX_RENAME_DEPTH) throw new ServiceError(400, `path has more than ${MAX_RENAME_DEPTH} components`);
  try {
    const safe = validatePathComponents(parts);
    if (safe.some((c, i) => c !== parts[i])) throw new ServiceError(400, `path ${JSON.stringify(text)} is not a portable file name (it would be saved as ${JSON.stringify(safe.join('/'))})`);
    return safe;
  } catch (e) {
    if (e instanceof UnsafePathError) throw new ServiceError(400, `path ${JSON.stringify(text)}: ${e.reason}`);
    throw e;
  }
}

/** Where storage keeps a file of the torrent (file-storage.ts's mapping). */
export function fileOnDisk(t: Torrent, savePath: string, path: readonly string[]): string {
  return resolveInside(savePath, t.multiFile ? [t.name, ...path] : path);
}

/** Renames real file `index` of `t` (already laid out with earlier renames) on disk, if it is there. */
export async function renameOnDisk(t: Torrent, savePath: string, index: number, to: readonly string[]): Promise<void> {
  const real = t.layout.files.filter((f) => !f.pad);
  const file = real[index];
  if (!file) throw new ServiceError(404, `no file ${index}`);
  const key = to.join('/');
  if (real.some((f, i) => i !== index && (f.path.join('/') === key || f.path.join('/').startsWith(key + '/') || key.startsWith(f.path.join('/') + '/')))) {
    throw new ServiceError(409, `another file of the torrent is at ${JSON.stringify(key)}`);
  }
  const from = fileOnDisk(t, savePath, file.path);
  const dest = fileOnDisk(t, savePath, to);
  if (from === dest) return;
  if (await exists(dest)) throw new ServiceError(409, `${dest} already exists`);
  if (!(await exists(from))) return; // nothing written yet: only the name changes
  try {
    await makeDirs(dirname(dest));
    await rename(from, dest);
  } catch (e) {
    throw new ServiceError(409, `cannot rename ${from} to ${dest}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Moving a file out of a folder (Season 1/E01.mkv -> E01.mkv) leaves the folder behind, empty:
  // remove it, and its parents up to the torrent's own folder, while they are empty (rmdir
  // refuses a folder with anything in it, the user's files included).
  const top = t.multiFile ? dirname(fileOnDisk(t, savePath, ['x'])) : savePath;
  for (let d = dirname(from); d.startsWith(top + sep) && d !== top; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      break;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
