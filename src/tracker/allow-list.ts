/** The server's allow-list file: 40 hex chars per line (`#` comments), reloaded when it changes. */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { InputError } from '../errors.js';

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

export function loadAllowList(path: string): Set<string> {
  try {
    return parseAllowList(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path}: cannot read allow-list (${(e as Error).message})`);
  }
}

/** Calls `onChange` with the new set each time the file changes; returns a stop function. */
export function watchAllowList(path: string, onChange: (s: Set<string>) => void, intervalMs = 1000): () => void {
  const listener = (): void => {
    try {
      onChange(loadAllowList(path));
    } catch {
      // Keep the previous list while the file is missing or mid-write.
    }
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
