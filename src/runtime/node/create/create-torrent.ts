/**
 * Creating a torrent from files on disk (`shoal create`, the daemon): lists the files, hashes
 * them on worker threads (hash-pool.ts) and stamps the creation date from the wall clock;
 * metainfo/create.ts lays out the pieces and assembles the .torrent.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildTorrent, CreateTorrentError, sortSourceFiles, type CreateTorrentOptions, type ScannedSource, type SourceFile } from '../../../metainfo/create.js';
import type { Torrent } from '../../../metainfo/torrent.js';
import { hashUnits } from './hash-pool.js';

/** Lists the regular files to include from `path` (a file or a directory), in torrent order. */
export function scanSource(path: string): ScannedSource {
  const root = resolve(path);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new CreateTorrentError(`${path}: no such file or directory`);
  }
  const name = basename(root);
  const attrOf = (mode: number) => (mode & 0o111 ? 'x' : '');
  if (st.isFile()) return { name, files: [{ path: [name], length: st.size, source: root, attr: attrOf(st.mode) }], multiFile: false };
  if (!st.isDirectory()) throw new CreateTorrentError(`${path}: not a regular file or directory`);
  const files: SourceFile[] = [];
  const walk = (dir: string, parts: string[]) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      const l = lstatSync(full);
      if (l.isSymbolicLink()) continue; // never follow links out of the tree
      if (l.isDirectory()) walk(full, [...parts, entry]);
      else if (l.isFile()) files.push({ path: [...parts, entry], length: l.size, source: full, attr: attrOf(l.mode) });
    }
  };
  walk(root, []);
  if (files.length === 0) throw new CreateTorrentError(`${path}: directory holds no files`);
  return { name, files: sortSourceFiles(files), multiFile: true };
}

/** Hashes `path` and returns the .torrent bytes and their parse. */
export function createTorrent(path: string, options: CreateTorrentOptions = {}): Promise<{ bytes: Uint8Array; torrent: Torrent }> {
  return buildTorrent(scanSource(path), options, hashUnits, () => Math.floor(Date.now() / 1000));
}
