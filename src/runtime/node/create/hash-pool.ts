/**
 * Spreads hashing units over worker threads, a few in flight per worker. Node-bound (worker
 * threads reading the shared files), so it lives in runtime/node/ with its worker entry, which
 * must be a file Node loads by URL next to it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ShoalError } from '../../../errors.js';
import { hashUnit, type HashPoolOptions, type HashUnit, type HashUnitResult } from '../../../metainfo/hash-unit.js';
import { FileReader } from './file-reader.js';

type WorkerReply = { ok: HashUnitResult } | { error: { id: number; message: string } };

export async function hashUnits(units: readonly HashUnit[], options: HashPoolOptions = {}): Promise<HashUnitResult[]> {
  const results: HashUnitResult[] = new Array(units.length);
  let done = 0;
  const threads = Math.min(options.threads ?? Math.min(availableParallelism(), 4), units.length);
  if (threads <= 0) {
    const reader = new FileReader();
    let buffer = new Uint8Array(0);
    try {
      for (const u of units) {
        if (buffer.length < u.length) buffer = new Uint8Array(u.length);
        results[u.id] = hashUnit(u, buffer, reader);
        done += u.length;
        options.onProgress?.(done);
        // Let the event loop breathe (progress bar, signals) between units.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      reader.close();
    }
    return results;
  }
  return new Promise<HashUnitResult[]>((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let failed = false;
    const workers: Worker[] = [];
    const stopAll = () => workers.forEach((w) => void w.terminate());
    const feed = (w: Worker) => {
      if (next < units.length) w.postMessage(units[next++]);
    };
    for (let t = 0; t < threads; t++) {
      const w = new Worker(new URL('./hash-worker.js', import.meta.url));
      workers.push(w);
      w.on('message', (m: WorkerReply) => {
        if (failed) return;
        if ('error' in m) {
          failed = true;
          stopAll();
          reject(new ShoalError(`hashing failed: ${m.error.message}`));
          return;
        }
        results[m.ok.id] = m.ok;
        done += units[m.ok.id].length;
        options.onProgress?.(done);
        if (++finished === units.length) {
          workers.forEach((x) => x.postMessage(null));
          resolve(results);
        } else feed(w);
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(e);
      });
      // Two units in flight per worker keep it busy while the next is posted.
      feed(w);
      feed(w);
    }
  });
}
