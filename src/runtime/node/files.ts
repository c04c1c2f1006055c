/** The Node runtime's `WatchedFiles`: synchronous reads, polled change detection. */
import { readFileSync, stat, statSync, type Stats } from 'node:fs';
import type { WatchedFiles } from '../types.js';

/** What identifies one version of a file; undefined while it does not exist. */
function fingerprint(s: Stats | undefined): string {
  return s === undefined ? 'missing' : `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export class NodeWatchedFiles implements WatchedFiles {
  readText(path: string): string {
    return readFileSync(path, 'utf8');
  }

  /**
   * Polls `path` every `intervalMs`. The baseline is taken synchronously here, not on the
   * first poll: `fs.watchFile` takes it asynchronously on the thread pool, so on a loaded
   * machine a write made just after the watch started became the baseline and was never seen.
   */
  watch(path: string, intervalMs: number, onChange: () => void): () => void {
    let last = fingerprint(statOrUndefined(path));
    let polling = false;
    let stopped = false;
    const timer = setInterval(() => {
      if (polling) return;
      polling = true;
      stat(path, (err, s) => {
        polling = false;
        if (stopped) return;
        const now = fingerprint(err ? undefined : s);
        if (now === last) return;
        last = now;
        onChange();
      });
    }, intervalMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}
