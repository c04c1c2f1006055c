/**
 * `POST /api/torrents/:id/move`: a torrent's files from one save path to another, while the
 * swarm is stopped (the service pauses its I/O around this). Each file is renamed; across
 * file systems (EXDEV) it is copied, and the originals are deleted only once every file is in
 * place. A failure undoes what was done (renames back, copies deleted), so the data stays
 * whole at the old place and the torrent goes to the error state saying why.
 */
import { copyFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import type { Torrent } from '../../metainfo/torrent.js';
import { fileOnDisk } from './file-rename.js';
import { makeDirs } from '../../runtime/node/mkdirs.js';

interface Step {
  readonly from: string;
  readonly to: string;
  readonly how: 'renamed' | 'copied';
}

/** Moves the torrent's files (those on disk) from `oldPath` to `newPath`, and then `extra` (the resume file) if given. Throws after undoing on failure. */
export async function moveTorrentData(t: Torrent, oldPath: string, newPath: string, extra: readonly { from: string; to: string }[] = []): Promise<void> {
  const pairs = t.layout.files.filter((f) => !f.pad).map((f) => ({ from: fileOnDisk(t, oldPath, f.path), to: fileOnDisk(t, newPath, f.path) }));
  const done: Step[] = [];
  try {
    for (const { from, to } of [...pairs, ...extra]) {
      if (!(await isFile(from))) continue; // not written yet
      if (await isFile(to)) throw new Error(`${to} already exists`);
      await makeDirs(dirname(to));
      try {
        await rename(from, to);
        done.push({ from, to, how: 'renamed' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        await copyFile(from, to);
        done.push({ from, to, how: 'copied' });
      }
    }
  } catch (e) {
    for (const s of done.reverse()) {
      if (s.how === 'renamed') await rename(s.to, s.from).catch(() => undefined);
      else await unlink(s.to).catch(() => undefined);
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`moving the data to ${newPath} failed (${code ?? (e as Error).message}); it stays in ${oldPath}`, { cause: e });
  }
  for (const s of done) if (s.how === 'copied') await unlink(s.from).catch(() => undefined);
  await removeEmptyDirs(pairs.map((p) => p.from), oldPath);
}

/** Removes the directories that held `files` below `root` once empty, deepest first. */
async function removeEmptyDirs(files: readonly string[], root: string): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) for (let d = dirname(f); d.startsWith(root + sep) && d !== root; d = dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort((a, b) => b.split(sep).length - a.split(sep).length)) await rmdir(d).catch(() => undefined);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
