/**
 * The policy for file paths that come from torrents (and peers): a torrent names its files as lists
 * of path components, and nothing in one may write outside the download directory or trip over
 * an operating system's special names. See docs/path-safety.md for the policy and its reasons.
 *
 * Refused (UnsafePathError): an empty component list; a component that is '', '.' or '..', holds
 * '/' or '\', a NUL or another control character (< 0x20), or starts with a drive letter ('C:').
 *
 * Neutralised (rewritten, deterministically and on every platform, so a download made on Linux
 * can be copied to Windows):
 * - Windows device names (CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$, CONOUT$, any case, with or
 *   without an extension) get '_' after the name: 'con.txt' → 'con_.txt', 'NUL' → 'NUL_';
 * - a trailing dot or space (Windows drops them silently) gets '_' appended: 'a.' → 'a._';
 * - a component longer than `maxComponentBytes` UTF-8 bytes is cut at a character boundary,
 *   keeping its extension (up to 32 bytes of it): 'aaaa…aaa.mkv' → 'aaa…a.mkv'.
 */
import nodePath from 'node:path';
import type { PlatformPath } from 'node:path';
import { InputError } from '../errors.js';

/** A torrent's file path would escape the download directory or is otherwise unusable. */
export class UnsafePathError extends InputError {
  constructor(
    readonly components: readonly string[],
    readonly reason: string,
  ) {
    super(`unsafe file path ${JSON.stringify(components.join('/'))} in torrent: ${reason}`);
  }
}

export interface PathSafetyOptions {
  /** Longest component in UTF-8 bytes before it is shortened (default 255: ext4, NTFS, APFS). At least 64. */
  maxComponentBytes?: number;
}

export const PATH_SAFETY_DEFAULTS = {
  maxComponentBytes: 255,
} as const satisfies Required<PathSafetyOptions>;

/** The shortest `maxComponentBytes` allowed: room for a kept extension and a name that is not a device name. */
export const MIN_COMPONENT_BYTES = 64;
/** An extension longer than this (with its dot) is not worth keeping when a component is cut. */
const MAX_KEPT_EXTENSION_BYTES = 32;

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL = /[\u0000-\u001f]/;
const DRIVE = /^[A-Za-z]:/;

/**
 * Checks one file's path components from a torrent and returns them made safe (see the module
 * comment for the policy). Throws `UnsafePathError` naming the path for anything it refuses.
 */
export function validatePathComponents(components: readonly string[], options?: PathSafetyOptions): string[] {
  const o = { ...PATH_SAFETY_DEFAULTS, ...options };
  if (!(o.maxComponentBytes >= MIN_COMPONENT_BYTES)) {
    throw new RangeError(`maxComponentBytes must be at least ${MIN_COMPONENT_BYTES}, got ${o.maxComponentBytes}`);
  }
  if (components.length === 0) throw new UnsafePathError(components, 'the path has no components');
  return components.map((c) => {
    const problem = refusal(c);
    if (problem) throw new UnsafePathError(components, problem);
    return neutralise(c, o.maxComponentBytes);
  });
}

function refusal(c: string): string | undefined {
  if (c === '') return 'a path component is empty';
  if (c === '.' || c === '..') return `a path component is '${c}'`;
  if (c.includes('/') || c.includes('\\')) return `a path component contains a path separator: ${JSON.stringify(c)}`;
  if (CONTROL.test(c)) return `a path component contains a control character: ${JSON.stringify(c)}`;
  if (DRIVE.test(c)) return `a path component starts with a drive letter: ${JSON.stringify(c)}`;
  return undefined;
}

/** Rewrites a component that is legal but would misbehave on some file system. */
export function neutralise(c: string, maxBytes: number = PATH_SAFETY_DEFAULTS.maxComponentBytes): string {
  let out = c;
  const dot = out.indexOf('.');
  const base = dot < 0 ? out : out.slice(0, dot);
  // Windows ignores trailing spaces of a device name: 'CON .txt' is CON too.
  if (RESERVED.test(base.replace(/ +$/, ''))) out = `${base}_${out.slice(base.length)}`;
  if (/[. ]$/.test(out)) out += '_';
  if (Buffer.byteLength(out, 'utf8') > maxBytes) {
    out = shorten(out, maxBytes);
    // Cutting may leave a trailing dot or space: swap it for '_' (same byte length).
    if (/[. ]$/.test(out)) out = `${out.slice(0, -1)}_`;
  }
  return out;
}

/** Cuts `s` to at most `maxBytes` UTF-8 bytes at a character boundary, keeping a short extension. */
function shorten(s: string, maxBytes: number): string {
  const dot = s.lastIndexOf('.');
  let ext = dot > 0 ? s.slice(dot) : '';
  if (Buffer.byteLength(ext, 'utf8') > MAX_KEPT_EXTENSION_BYTES) ext = '';
  const stem = s.slice(0, s.length - ext.length);
  return prefixWithin(stem, maxBytes - Buffer.byteLength(ext, 'utf8')) + ext;
}

export function prefixWithin(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    // for..of walks code points, so surrogate pairs are never split.
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end);
}

export interface ResolveInsideOptions extends PathSafetyOptions {
  /** Path flavour to resolve with (default: this platform's `node:path`); `path.win32` to check Windows rules. */
  path?: PlatformPath;
}

/**
 * Makes `components` safe with `validatePathComponents`, joins them under `root`, and checks with
 * `path.resolve` that the result is strictly inside `root`. Returns the absolute path.
 */
export function resolveInside(root: string, components: readonly string[], options?: ResolveInsideOptions): string {
  const p = options?.path ?? nodePath;
  const safe = validatePathComponents(components, options);
  const base = p.resolve(root);
  const full = p.resolve(base, ...safe);
  const rel = p.relative(base, full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${p.sep}`) || p.isAbsolute(rel)) {
    throw new UnsafePathError(components, `it resolves to ${JSON.stringify(full)}, outside ${JSON.stringify(base)}`);
  }
  return full;
}
