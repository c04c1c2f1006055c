/**
 * `shoal seed` and `shoal get` as child processes for interop tests against other clients:
 * a seeder that reports its listening address, and a download with its output checked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH } from './helpers.js';
import { onCleanup, type Cleanup } from './peers/process.js';

export interface ShoalSeedOptions {
  readonly torrent: string;
  /** The content: a file or a directory, as `shoal seed` takes it. */
  readonly content: string;
  readonly host: string;
  readonly stateDir: string;
  /** Peers to dial (`--peer`). */
  readonly peers?: readonly string[];
  readonly extra?: readonly string[];
  readonly cleanup?: Cleanup;
}

export interface ShoalChild {
  readonly endpoint: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches `re`; rejects on exit or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number): Promise<void>;
  /** SIGINT, then SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `shoal seed` and resolves with its listening address once it prints it. */
export async function startShoalSeed(o: ShoalSeedOptions): Promise<ShoalChild> {
  const args = [CLI_PATH, 'seed', o.torrent, o.content, '--listen', `${o.host}:0`, '--state-dir', o.stateDir, '--no-dht'];
  for (const p of o.peers ?? []) args.push('--peer', p);
  args.push(...(o.extra ?? []));
  return startShoal(args, o.cleanup);
}

/**
 * Starts any long-running shoal command. Resolves once it prints `listening on HOST:PORT`, or
 * at once with `endpoint` given (`shoal get` does not print it: pass its `--listen` address).
 */
export async function startShoal(args: readonly string[], cleanup?: Cleanup, known?: { endpoint: string }): Promise<ShoalChild> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const stop = (): Promise<void> => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGINT');
  });
  onCleanup(cleanup, stop);
  const waitFor = async (re: RegExp, timeoutMs: number): Promise<void> => {
    const end = performance.now() + timeoutMs;
    while (!re.test(out)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`shoal ${args[1]} exited before printing ${re}: ${out}`);
      if (performance.now() > end) throw new Error(`shoal ${args[1]}: no ${re} within ${timeoutMs} ms: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  if (known) return { endpoint: known.endpoint, child, output: () => out, waitFor, stop };
  const endpoint = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      const m = /^listening on (\S+)$/.exec(l);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`shoal ${args[1]} exited ${code}: ${out}`)));
  });
  return { endpoint, child, output: () => out, waitFor, stop };
}

const sha1 = (p: string): string => createHash('sha1').update(readFileSync(p)).digest('hex');

/** Asserts-free comparison: the relative paths under `got` whose content differs from `want` (or is missing). */
export function differingFiles(want: string, got: string, paths: readonly string[]): string[] {
  return paths.filter((p) => {
    try {
      return sha1(join(got, p)) !== sha1(join(want, p));
    } catch {
      return true;
    }
  });
}
