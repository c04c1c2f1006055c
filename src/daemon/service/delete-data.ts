/**
 * `DELETE /api/torrents/:id?deleteData=1`: removes the files the torrent names (pad files are
 * never written, so there are none of those), then the directories that became empty,
 * deepest first, up to but not including the save path. Anything else a user put in the
 * torrent's folder stays, and so does the folder holding it.
 */
import { rmdir, unlink } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import type { Torrent } from '../../metainfo/torrent.js';
import { resolveInside } from '../../storage/path-safety.js';

/** Deletes the torrent's files under `savePath`; returns the ones that could not be deleted (with why). */
export async function deleteTorrentData(torrent: Torrent, savePath: string): Promise<string[]> {
  const failed: string[] = [];
  const dirs = new Set<string>();
  for (const f of torrent.layout.files) {
    if (f.pad) continue;
    // The same mapping storage uses to write it (file-storage.ts).
    const path = resolveInside(savePath, torrent.multiFile ? [torrent.name, ...f.path] : f.path);
    try {
      await unlink(path); // not rm -r: a directory where a file should be is not ours
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') failed.push(`${path}: ${code ?? (e as Error).message}`);
    }
    for (let d = dirname(path); d.startsWith(savePath + sep) && d !== savePath; d = dirname(d)) dirs.add(d);
  }
  // Deepest first, so a parent is tried after its children went; a non-empty one stays.
  for (const d of [...dirs].sort((a, b) => b.split(sep).length - a.split(sep).length)) {
    await rmdir(d).catch(() => undefined);
  }
  return failed;
}
