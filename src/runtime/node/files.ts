/** Watched configuration files over `node:fs` (polling, so it works on every file system). */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { WatchedFiles } from '../types.js';

export class NodeWatchedFiles implements WatchedFiles {
  readText(path: string): string {
    return readFileSync(path, 'utf8');
  }

  watch(path: string, intervalMs: number, onChange: () => void): () => void {
    const listener = (): void => onChange();
    watchFile(path, { interval: intervalMs, persistent: false }, listener);
    return () => unwatchFile(path, listener);
  }
}
