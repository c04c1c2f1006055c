/**
 * What `shoal seed` finds at the data path before it starts: a path with none of the
 * torrent's files is refused (with a hint when the user gave the parent directory or the
 * wrong kind of path); a path with some of them is named, file by file, in a warning.
 */
import { statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { ShoalError } from '../errors.js';
import type { Torrent } from '../metainfo/torrent.js';

/** The data path holds nothing of the torrent (or not what the torrent describes). */
export class SeedDataError extends ShoalError {}

export interface SeedDataPresence {
  /** Real (non-pad) files of the torrent. */
  readonly files: number;
  /** Their paths (relative to the data path) that are absent or not regular files. */
  readonly missing: readonly string[];
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Checks that `path` holds the torrent's files (single-file: the file itself; multi-file: a directory of them). */
export function checkSeedData(torrent: Torrent, path: string): SeedDataPresence {
  const st = statOrUndefined(path);
  const real = torrent.layout.files.filter((f) => !f.pad);
  if (!torrent.multiFile) {
    if (st === undefined) throw new SeedDataError(`${path}: no such file; seed needs the torrent's data there (the file '${torrent.name}')`);
    if (st.isDirectory()) {
      const inside = join(path, torrent.name);
      const hint = statOrUndefined(inside)?.isFile() ? `; did you mean ${inside}?` : '';
      throw new SeedDataError(`${path} is a directory, but '${torrent.name}' is a single-file torrent: give the file itself${hint}`);
    }
    return { files: 1, missing: [] };
  }
  if (st === undefined) throw new SeedDataError(`${path}: no such directory; seed needs the torrent's data there (the directory of '${torrent.name}', ${real.length} files)`);
  if (!st.isDirectory()) throw new SeedDataError(`${path} is a file, but '${torrent.name}' is a multi-file torrent: give the directory holding its ${real.length} files`);
  const missing = real.map((f) => f.path.join('/')).filter((rel) => !statOrUndefined(join(path, rel))?.isFile());
  if (real.length > 0 && missing.length === real.length) {
    const inside = join(path, torrent.name);
    const hint = statOrUndefined(inside)?.isDirectory() ? `; did you mean ${inside}?` : '';
    throw new SeedDataError(`${path} holds none of the ${real.length} files of '${torrent.name}' (such as ${missing[0]})${hint}`);
  }
  return { files: real.length, missing };
}

/** One line naming the files that are not there (at most `shown` of them). */
export function describeMissing(p: SeedDataPresence, shown = 3): string {
  const names = p.missing.slice(0, shown).join(', ');
  const more = p.missing.length > shown ? ` and ${p.missing.length - shown} more` : '';
  return `${p.missing.length} of ${p.files} files missing (${names}${more})`;
}
