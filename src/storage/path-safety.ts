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
const DRIVE = /^[A-Za-z]:/;

/**
 * Checks one file's path components from a torrent and returns them made safe (see the module
 * comment for the policy). Throws `UnsafePathError` naming the path for anything it refuses.
 */
export function validatePathComponents(components: readonly string[], options?: PathSafetyOptions): string[] {
  // No options object per call: a torrent's start checks every file's path (200,000 of them).
  const maxBytes = options?.maxComponentBytes ?? PATH_SAFETY_DEFAULTS.maxComponentBytes;
  if (!(maxBytes >= MIN_COMPONENT_BYTES)) {
    throw new RangeError(`maxComponentBytes must be at least ${MIN_COMPONENT_BYTES}, got ${maxBytes}`);
  }
  if (components.length === 0) throw new UnsafePathError(components, 'the path has no components');
  const out = new Array<string>(components.length);
  for (let i = 0; i < components.length; i++) {
    const c = components[i];
    const problem = refusal(c);
    if (problem) throw new UnsafePathError(components, problem);
    out[i] = neutralise(c, maxBytes);
  }
  return out;
}

function refusal(c: string): string | undefined {
  if (c === '') return 'a path component is empty';
  if (c === '.' || c === '..') return `a path component is '${c}'`;
  // One pass for separators and control characters (a separator is named first, as before).
  let separator = false, control = false;
  for (let i = 0; i < c.length; i++) {
    const k = c.charCodeAt(i);
    if (k === 0x2f || k === 0x5c) separator = true;
    else if (k < 0x20) control = true;
  }
  if (separator) return `a path component contains a path separator: ${JSON.stringify(c)}`;
  if (control) return `a path component contains a control character: ${JSON.stringify(c)}`;
  if (DRIVE.test(c)) return `a path component starts with a drive letter: ${JSON.stringify(c)}`;
  return undefined;
}

/** First letters (lower-cased) of the Windows device names. */
const DEVICE_FIRST = new Set([0x63, 0x70, 0x61, 0x6e, 0x6c]); // c p a n l

/**
 * True when `c` needs no rewriting for certain: short enough whatever its characters (a UTF-16
 * unit is at most 3 UTF-8 bytes), no trailing dot or space, and no device name's first letter.
 */
function plain(c: string, maxBytes: number): boolean {
  const last = c.charCodeAt(c.length - 1);
  return c.length * 3 <= maxBytes && last !== 0x2e && last !== 0x20 && !DEVICE_FIRST.has(c.charCodeAt(0) | 0x20);
}

/** Rewrites a component that is legal but would misbehave on some file system. */
export function neutralise(c: string, maxBytes: number = PATH_SAFETY_DEFAULTS.maxComponentBytes): string {
  if (plain(c, maxBytes)) return c;
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
  return inside(p, p.resolve(root), components, options);
}

/**
 * `resolveInside` for many files under one root (a torrent's): the root is resolved once, and
 * on POSIX the safe components are joined and checked with one `path.normalize` instead of
 * `path.resolve` and `path.relative` (a normalised join below the root is strictly inside it).
 * 200,000 files took 0.5 s of CPU at a swarm's start through `resolveInside` each
 * (docs/daemon.md#large-torrents).
 */
export function resolveAllInside(root: string, files: readonly (readonly string[] | null)[], options?: ResolveInsideOptions): (string | null)[] {
  const p = options?.path ?? nodePath;
  const base = p.resolve(root);
  return files.map((components) => (components === null ? null : inside(p, base, components, options)));
}

function inside(p: PlatformPath, base: string, components: readonly string[], options: ResolveInsideOptions | undefined): string {
  const safe = validatePathComponents(components, options);
  if (p.sep === '/' && p.isAbsolute(base)) {
    // Defence in depth without resolve/relative: a joined path that normalising leaves alone
    // has no '', '.' or '..' segment, so below `base` it is strictly inside it.
    const full = base === '/' ? `/${safe.join('/')}` : `${base}/${safe.join('/')}`;
    if (p.normalize(full) === full) return full;
  }
  const full = p.resolve(base, ...safe);
  const rel = p.relative(base, full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${p.sep}`) || p.isAbsolute(rel)) {
    throw new UnsafePathError(components, `it resolves to ${JSON.stringify(full)}, outside ${JSON.stringify(base)}`);
  }
  return full;
}
