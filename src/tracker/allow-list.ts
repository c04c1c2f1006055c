/**
 * The server's allow-list file: 40 hex chars per line (`#` comments), reloaded when it
 * changes. Read and watched through the runtime (`runtime.files`).
 */
import { InputError } from '../errors.js';
import type { WatchedFiles } from '../runtime/types.js';

export function parseAllowList(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    if (!/^[0-9a-fA-F]{40}$/.test(line)) continue;
    out.add(line.toLowerCase());
  }
  return out;
}

export function loadAllowList(files: WatchedFiles | undefined, path: string): Set<string> {
  try {
    if (!files) throw new Error('this runtime reads no files');
    return parseAllowList(files.readText(path));
  } catch (e) {
    throw new InputError(`${path}: cannot read allow-list (${(e as Error).message})`);
  }
}

/** Calls `onChange` with the new set each time the file changes; returns a stop function. */
export function watchAllowList(files: WatchedFiles | undefined, path: string, onChange: (s: Set<string>) => void, intervalMs = 1000): () => void {
  if (!files) return () => undefined;
  return files.watch(path, intervalMs, () => {
    try {
      onChange(loadAllowList(files, path));
    } catch {
      // Keep the previous list while the file is missing or mid-write.
    }
  });
}
