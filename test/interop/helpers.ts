/**
 * Helpers for interop tests against real libtorrent (python3-libtorrent) and for the
 * benchmarks: run the Shoal CLI, run the python scripts in test/interop/py, and build
 * temporary directories of deterministic pseudo-random data.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import type { Cipher } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file runs from dist/test/interop/ or dist/bench/.. via imports). */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The compiled CLI entry point. */
export const CLI_PATH = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** The python scripts are run from the source tree; they are not compiled. */
export const PY_DIR = join(REPO_ROOT, 'test', 'interop', 'py');
/** The interpreter that has the Debian python3-libtorrent package. */
export const PYTHON = process.env.SHOAL_PYTHON ?? '/usr/bin/python3';

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  readonly ms: number;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Kill the child after this many milliseconds (default 120 s). */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a program to completion, collecting its output. Never rejects on a non-zero exit. */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - start,
      });
    });
  });
}

/** Runs `node dist/src/cli/main.js ...args`. */
export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [CLI_PATH, ...args], opts);
}

/** Whether the CLI has been built. */
export function cliBuilt(): boolean {
  return existsSync(CLI_PATH);
}

/** Runs `shoal info <target> --json` and parses the object it prints. */
export async function shoalInfo(target: string): Promise<ShoalInfo> {
  const r = await runCli(['info', target, '--json']);
  if (r.code !== 0) throw new Error(`shoal info ${target} exited ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as ShoalInfo;
}

/** Runs `shoal create <path> -o <out> ...extra`, throwing with its stderr on failure. */
export async function shoalCreate(path: string, out: string, extra: readonly string[] = []): Promise<RunResult> {
  const r = await runCli(['create', path, '-o', out, ...extra]);
  if (r.code !== 0) throw new Error(`shoal create exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

/** The fields of `shoal info --json` the interop tests rely on. */
export interface ShoalInfo {
  readonly infoHash: string | null;
  readonly infoHashV2: string | null;
  readonly name: string;
  readonly length: number;
  readonly pieceLength: number;
  readonly pieceCount: number;
  readonly files: readonly { readonly path: string; readonly length: number }[];
  readonly trackers: readonly unknown[];
}

let libtorrentProbe: { ok: boolean; reason: string } | undefined;

/** Whether PYTHON can `import libtorrent`; the reason when it cannot (cached). */
export function libtorrentAvailable(): { ok: boolean; reason: string } {
  if (!libtorrentProbe) {
    const r = spawnSync(PYTHON, ['-c', 'import libtorrent as lt; print(lt.__version__)'], { encoding: 'utf8' });
    libtorrentProbe = r.status === 0
      ? { ok: true, reason: `libtorrent ${r.stdout.trim()}` }
      : { ok: false, reason: `${PYTHON} cannot import libtorrent (${(r.error?.message ?? r.stderr.trim().split('\n').pop()) || 'unknown error'})` };
  }
  return libtorrentProbe;
}

/** Runs test/interop/py/<script> with PYTHON and parses the one JSON object it prints. */
export async function runPython<T>(script: string, args: readonly string[], opts: RunOptions = {}): Promise<T> {
  const r = await run(PYTHON, [join(PY_DIR, script), ...args], opts);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new Error(`${script} exited ${r.code} without JSON: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  if (r.code !== 0) {
    const message = (parsed as { error?: string }).error ?? r.stderr.trim();
    throw new Error(`${script} exited ${r.code}: ${message}`);
  }
  return parsed as T;
}

export type TorrentMode = 'v1' | 'v2' | 'hybrid';

/** What lt_create.py prints. */
export interface LtCreated {
  readonly infoHash: string | null;
  readonly infoHashV2: string | null;
  readonly numPieces: number;
  readonly pieceLength: number;
  /** Seconds python spent in create_torrent + set_piece_hashes + writing the file. */
  readonly hashSeconds: number;
  readonly files: readonly { readonly path: string; readonly length: number; readonly pad: boolean }[];
}

/** What lt_parse.py prints. */
export interface LtParsed {
  readonly name: string;
  readonly pieceLength: number;
  readonly numPieces: number;
  readonly totalSize: number;
  readonly infoHash: string | null;
  readonly infoHashV2: string | null;
  readonly private: boolean;
  readonly comment: string;
  readonly trackers: readonly string[];
  readonly magnet: string;
  /** Non-pad files; multi-file paths start with the torrent name, as libtorrent reports them. */
  readonly files: readonly { readonly path: string; readonly length: number }[];
  readonly padFiles: readonly { readonly path: string; readonly length: number }[];
}

/** What lt_verify.py prints. */
export interface LtVerified {
  readonly numPieces: number;
  readonly verifiedPieces: number;
  readonly progress: number;
  readonly state: string;
  readonly error: string | null;
  readonly seconds: number;
}

export interface LtCreateOptions {
  readonly private?: boolean;
  readonly trackers?: readonly string[];
  readonly comment?: string;
}

export function ltCreate(path: string, out: string, pieceLength: number, mode: TorrentMode, o: LtCreateOptions = {}): Promise<LtCreated> {
  const args = [path, out, '--piece-length', String(pieceLength), '--mode', mode];
  if (o.private) args.push('--private');
  for (const t of o.trackers ?? []) args.push('--tracker', t);
  if (o.comment !== undefined) args.push('--comment', o.comment);
  return runPython<LtCreated>('lt_create.py', args, { timeoutMs: 30 * 60_000 });
}

export function ltParse(torrent: string): Promise<LtParsed> {
  return runPython<LtParsed>('lt_parse.py', [torrent]);
}

export function ltVerify(torrent: string, savePath: string, timeoutSeconds = 60): Promise<LtVerified> {
  return runPython<LtVerified>('lt_verify.py', [torrent, savePath, '--timeout', String(timeoutSeconds)], {
    timeoutMs: (timeoutSeconds + 30) * 1000,
  });
}

/** A fresh directory under the OS temp dir; remove it with removeDir. */
export function makeTempDir(prefix = 'shoal-interop-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A deterministic pseudo-random byte stream: the AES-256-CTR keystream keyed by
 * SHA-256(seed). Fast (GB/s), and the same seed always yields the same bytes.
 */
export class PseudoRandom {
  private readonly cipher: Cipher;
  private zeros = new Uint8Array(0);

  constructor(seed: string) {
    const key = createHash('sha256').update(seed).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  /** The next `length` bytes of the stream. */
  next(length: number): Uint8Array {
    if (this.zeros.length < length) this.zeros = new Uint8Array(length);
    return this.cipher.update(this.zeros.subarray(0, length));
  }
}

/** `length` deterministic pseudo-random bytes for `seed`. */
export function pseudoRandomBytes(seed: string, length: number): Uint8Array {
  return new PseudoRandom(seed).next(length);
}

/** A file to create: '/'-separated path relative to the tree root, and its size. */
export interface FileSpec {
  readonly path: string;
  readonly length: number;
}

/** Writes files under `root` (created as needed); each file's content is seeded by its path. */
export function writeTree(root: string, files: readonly FileSpec[], seed = 'shoal'): void {
  mkdirSync(root, { recursive: true });
  for (const f of files) {
    const full = join(root, ...f.path.split('/'));
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, pseudoRandomBytes(`${seed}:${f.path}`, f.length));
  }
}

/** Writes a large pseudo-random file in chunks without holding it in memory. */
export function writeLargeFile(path: string, length: number, seed = 'shoal-bench', chunk = 16 << 20): void {
  const rng = new PseudoRandom(seed);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < length;) {
      const n = Math.min(chunk, length - done);
      const bytes = rng.next(n);
      for (let off = 0; off < n;) off += writeSync(fd, bytes, off, n - off);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Minimal bencode encoder for hand-crafting (hostile) torrents in tests. */
export type BValue = number | string | Uint8Array | readonly BValue[] | { readonly [key: string]: BValue };

export function bencode(value: BValue): Buffer {
  const parts: Buffer[] = [];
  const enc = (v: BValue): void => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new RangeError(`bencode: ${v} is not an integer`);
      parts.push(Buffer.from(`i${v}e`));
    } else if (typeof v === 'string' || v instanceof Uint8Array) {
      const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
      parts.push(Buffer.from(`${b.length}:`), b);
    } else if (Array.isArray(v)) {
      parts.push(Buffer.from('l'));
      for (const x of v as readonly BValue[]) enc(x);
      parts.push(Buffer.from('e'));
    } else {
      const dict = v as { readonly [key: string]: BValue };
      const keys = Object.keys(dict).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      parts.push(Buffer.from('d'));
      for (const k of keys) {
        enc(k);
        enc(dict[k]);
      }
      parts.push(Buffer.from('e'));
    }
  };
  enc(value);
  return Buffer.concat(parts);
}

/** SHA-1 piece hashes of `data` (a v1 `pieces` string). */
export function v1Pieces(data: Uint8Array, pieceLength: number): Buffer {
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += pieceLength) {
    out.push(createHash('sha1').update(data.subarray(off, off + pieceLength)).digest());
  }
  return Buffer.concat(out);
}

/** Hex SHA-1 of a buffer. */
export function sha1Hex(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}
