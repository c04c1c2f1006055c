/** A v1 torrent's `files` (BEP 3, BEP 47 pads) as piece-space entries, with disk-safe paths. */
import { isBytes, isDict, isList, optListField, uintField } from '../bencode/access.js';
import type { BDict } from '../bencode/types.js';
import { validatePathComponents } from '../storage/path-safety.js';
import { TorrentParseError } from './errors.js';
import type { TorrentFile } from './layout.js';
import type { ParseTorrentOptions } from './torrent.js';

const err = (m: string): Error => new TorrentParseError(m);
const lenientUtf8 = new TextDecoder('utf-8');

export function safePath(components: string[], where: string): string[] {
  try {
    return validatePathComponents(components);
  } catch (e) {
    throw new TorrentParseError(`${where}: ${(e as Error).message}`, { cause: e });
  }
}

/** `path` made safe for the disk, with the torrent's own components kept as `rawPath` when that changed them. */
export function safeEntry(components: string[], where: string): { path: string[]; rawPath?: string[] } {
  const path = safePath(components, where);
  return path.every((c, i) => c === components[i]) ? { path } : { path, rawPath: components };
}

/**
 * `safeEntry` for many files: a component seen before (a directory name, mostly) is not checked
 * again, and a path that sanitising leaves alone is returned as it came (no copy).
 */
class SafeComponents {
  private readonly seen = new Map<string, string>();

  path(parts: string[], i: number): string[] {
    if (parts.length === 0) safePath(parts, `files[${i}]`); // throws: no components
    let out: string[] | undefined;
    for (let k = 0; k < parts.length; k++) {
      const c = parts[k];
      let s = this.seen.get(c);
      if (s === undefined) {
        try {
          s = validatePathComponents([c])[0];
        } catch {
          safePath(parts, `files[${i}]`); // throws, naming the whole path
        }
        // File names are mostly unique: only directory names are worth remembering.
        if (k < parts.length - 1) this.seen.set(c, s as string);
      }
      if (s !== c) (out ??= parts.slice())[k] = s as string;
    }
    return out ?? parts;
  }
}

export interface V1Files {
  entries: Omit<TorrentFile, 'offset'>[];
  multiFile: boolean;
}

export function parseV1Files(info: BDict, name: string, o: Required<ParseTorrentOptions>): V1Files {
  // `name` is the torrent's own; a single file's disk path is it sanitised (its raw form kept).
  const files = optListField(info, 'files', 'info', err);
  if (!files) {
    const length = uintField(info, 'length', 'info', err);
    return { entries: [{ ...safeEntry([name], "info 'name'"), length, pad: false, attr: attrOf(info) }], multiFile: false };
  }
  if (files.length === 0) throw err("'files' is empty");
  if (files.length > o.maxFiles) throw err(`more than maxFiles (${o.maxFiles}) files`);
  // One loop, one object per file: for 700,000 files each copy or closure here was seconds of
  // the daemon's event loop (docs/metainfo.md, "What a torrent with very many files costs").
  const safe = new SafeComponents();
  const entries: Omit<TorrentFile, 'offset'>[] = new Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    if (!isDict(f)) throw err(`files[${i}] is not a dictionary`);
    const l = f.get('length');
    const length = typeof l === 'number' && l >= 0 ? l : uintField(f, 'length', `files[${i}]`, err);
    const p = f.get('path.utf-8') ?? f.get('path');
    if (!isList(p)) throw err(`files[${i}]: 'path' must be a list`);
    if (p.length > o.maxPathDepth) throw err(`files[${i}]: path deeper than maxPathDepth (${o.maxPathDepth})`);
    const parts: string[] = new Array(p.length);
    for (let k = 0; k < p.length; k++) {
      const c = p[k];
      if (!isBytes(c)) throw err(`files[${i}]: path components must be byte strings`);
      parts[k] = lenientUtf8.decode(c);
    }
    const attr = attrOf(f);
    const pad = attr.includes('p');
    // Pad files never touch the disk, so their (conventional '.pad/N') names need no sanitising.
    if (pad) entries[i] = { path: parts, length, pad, attr };
    else {
      const path = safe.path(parts, i);
      entries[i] = path === parts ? { path, length, pad, attr } : { path, rawPath: parts, length, pad, attr };
    }
  }
  return { entries, multiFile: true };
}

export function attrOf(d: BDict): string {
  const a = d.get('attr');
  return isBytes(a) ? Buffer.from(a).toString('latin1') : '';
}

