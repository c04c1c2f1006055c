/**
 * Files of one torrent that would share a path on disk: the same name twice, a file where
 * another file's directory goes (`a` beside `a/b`), names equal once sanitised (`CON` and
 * `CON_`), or equal on a case-insensitive or normalising file system (`A.txt` and `a.txt`,
 * NFC and NFD forms). Two files on one path overwrite each other, every piece of both then
 * fails its hash, and honest seeders get banned for it.
 *
 * Like libtorrent (`resolve_duplicate_filenames`), such files are renamed on disk, never the
 * torrent: the info hash, piece space and wire traffic are unchanged. Directories win over
 * files (all directories are placed first); files keep their order, the first keeps its name
 * and a later one becomes `<stem>.<n><ext>` with the smallest free n from 1 (`x.txt` ->
 * `x.1.txt`, `a` -> `a.1`). Names are compared case-folded and in Unicode NFC on every
 * platform, so a download moved from Linux to Windows or macOS still fits.
 * See docs/path-safety.md.
 */
import { InputError } from '../errors.js';
import { neutralise, prefixWithin, PATH_SAFETY_DEFAULTS } from './path-safety.js';

/** A torrent renames so many colliding files that it is most likely an attack on the parser. */
export class PathCollisionError extends InputError {}

export interface ResolveCollisionsOptions {
  /** Most candidate names found already taken, over the whole torrent, before giving up (libtorrent: 500). */
  maxDuplicateFilenames: number;
  /** Longest component in UTF-8 bytes (as in path-safety); a renamed component is cut to fit. */
  maxComponentBytes?: number;
}

interface Dir {
  /** Folded child name -> its directory, or null for a file. */
  readonly kids: Map<string, Dir | null>;
  /** Next counter to try per folded stem + extension (a counter below it is known to be taken). */
  next?: Map<string, number>;
}

// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included
const ASCII = /^[\u0000-\u007f]*$/;

/** The key two names share when one file system would take them for the same file. */
function fold(name: string): string {
  // NFC leaves ASCII as it is; skipping it halves the cost for the usual names.
  return ASCII.test(name) ? name.toLowerCase() : name.normalize('NFC').toLowerCase();
}

/**
 * Returns the on-disk paths of `paths` (already sanitised, in piece-space order; pads left
 * out by the caller): each path unchanged, or its last component renamed so that no two
 * files, and no file and directory, share a path. Throws `PathCollisionError` past
 * `maxDuplicateFilenames`. Linear in the number of path components.
 */
export function resolveCollisions(paths: readonly (readonly string[])[], options: ResolveCollisionsOptions): (readonly string[])[] {
  const maxBytes = options.maxComponentBytes ?? PATH_SAFETY_DEFAULTS.maxComponentBytes;
  const root: Dir = { kids: new Map() };
  let last: { path: readonly string[]; dir: Dir } | undefined;
  const parentOf = (path: readonly string[]): Dir => {
    // Files come grouped by directory: most share the previous one's.
    if (last && sameDir(last.path, path)) return last.dir;
    let d = root;
    for (let i = 0; i < path.length - 1; i++) {
      const k = fold(path[i]);
      let next = d.kids.get(k);
      if (!next) d.kids.set(k, (next = { kids: new Map() }));
      d = next;
    }
    last = { path, dir: d };
    return d;
  };
  // Directories first, so no file can take a directory's place.
  const parents = paths.map(parentOf);
  let collisions = 0;
  return paths.map((path, i) => {
    const dir = parents[i];
    const name = path[path.length - 1];
    const key = fold(name);
    if (!dir.kids.has(key)) {
      dir.kids.set(key, null);
      return path;
    }
    const dot = name.lastIndexOf('.');
    // A leading dot starts a hidden name, not an extension ('.env' -> '.env.1').
    const ext = dot > 0 ? name.slice(dot) : '';
    const stem = name.slice(0, name.length - ext.length);
    const memoKey = `${fold(stem)}/${fold(ext)}`;
    dir.next ??= new Map();
    for (let n = dir.next.get(memoKey) ?? 1; ; n++) {
      const candidate = renamed(stem, n, ext, maxBytes);
      const candidateKey = fold(candidate);
      if (!dir.kids.has(candidateKey)) {
        dir.kids.set(candidateKey, null);
        dir.next.set(memoKey, n + 1);
        return [...path.slice(0, -1), candidate];
      }
      if (++collisions > options.maxDuplicateFilenames) {
        throw new PathCollisionError(`more than maxDuplicateFilenames (${options.maxDuplicateFilenames}) file names collide (at ${JSON.stringify(path.join('/'))})`);
      }
    }
  });
}

function sameDir(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `<stem>.<n><ext>`, the stem cut (or the extension dropped) to stay within `maxBytes`. */
function renamed(stem: string, n: number, ext: string, maxBytes: number): string {
  let suffix = `.${n}${ext}`;
  // Keep the room for a name: a very long extension is given up rather than the stem.
  if (Buffer.byteLength(suffix, 'utf8') > maxBytes / 2) suffix = `.${n}`;
  const out = prefixWithin(stem, maxBytes - Buffer.byteLength(suffix, 'utf8')) + suffix;
  // Never less safe than the name it replaces (e.g. a trailing dot inside a long extension).
  return neutralise(out, maxBytes);
}
