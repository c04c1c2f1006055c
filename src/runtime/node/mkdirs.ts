/**
 * `mkdir -p` that always returns. Node's own `mkdir(path, { recursive: true })` (async and
 * sync, Node 18-22 on Linux) loops forever at 100% CPU under procfs: `mkdir /proc/x` answers
 * ENOENT, Node takes that as "the parent is missing", creates the parent (EEXIST: fine) and
 * tries the child again, for ever. The async form also holds a libuv threadpool thread, so
 * four such requests (`savePath: "/proc/x"`) stall every file operation of the daemon.
 *
 * These walk up to the deepest ancestor that exists and create each missing component once,
 * with a plain (non-recursive) mkdir: an ENOENT is then final. Used wherever Shoal creates
 * directories: the daemon (save paths, moves, renames, state and config), the CLI, and file
 * storage (`storage/fd-cache.ts`, `storage/resume.ts`).
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The missing components of absolute `dir`, outermost first; stops at the first that exists. */
async function missing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      await stat(d);
      return out.reverse();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw e;
      out.push(d);
    }
  }
}

function missingSync(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(d);
      return out.reverse();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw e;
      out.push(d);
    }
  }
}

/** Creates absolute directory `dir` and its missing parents; a directory (or anything) already there is left alone, as `mkdir -p`. */
export async function makeDirs(dir: string, mode?: number): Promise<void> {
  for (const d of await missing(dir)) {
    try {
      await mkdir(d, mode === undefined ? undefined : { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // made meanwhile: fine
    }
  }
}

/** `makeDirs` for start-up code that runs before the event loop matters. */
export function makeDirsSync(dir: string, mode?: number): void {
  for (const d of missingSync(dir)) {
    try {
      mkdirSync(d, mode === undefined ? undefined : { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
