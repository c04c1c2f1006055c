/**
 * The session's reputation store (src/swarm/reputation.ts: bytes each peer gave us and took
 * from us, across torrents) kept over daemon restarts, in `reputation.json` in the state
 * directory: written with the state snapshot (every minute) and at shutdown, read at
 * start-up. Ages are kept, and the time the daemon was down counts too (the file records the
 * wall-clock time it was written), so the store's half-life runs on.
 *
 * Bounded: a restore keeps at most the store's `maxEntries` (the most recently updated), and
 * a file over `MAX_REPUTATION_FILE_BYTES` is not read. A file that does not parse, or is not
 * ours, costs only the reputation: a warning is logged, the store starts empty, and the next
 * save replaces the file. Malformed entries are skipped one by one.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../runtime/node/disk/resume-file.js';
import type { ReputationRecord, ReputationStore } from '../../swarm/reputation.js';

export const REPUTATION_FILE = 'reputation.json';
/** A larger file is not read (10,000 entries, the store's default limit, take about 1 MB). */
export const MAX_REPUTATION_FILE_BYTES = 16 * 1024 * 1024;

interface ReputationFile {
  readonly version: 1;
  /** Wall-clock ms when written. */
  readonly savedAt: number;
  readonly entries: readonly ReputationRecord[];
}

/**
 * Restores `store` from the state directory's file. `now`: the runtime clock's ms (the
 * store's time); `wallNow`: ms since the epoch. Returns how many entries were read.
 */
export function loadReputation(dir: string, store: ReputationStore, now: number, wallNow: number, warn: (message: string) => void): number {
  const path = join(dir, REPUTATION_FILE);
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_REPUTATION_FILE_BYTES) {
      warn(`${path}: ${size} bytes, over the ${MAX_REPUTATION_FILE_BYTES}-byte limit; peer reputation starts empty`);
      return 0;
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`${path}: cannot be read (${(e as Error).message}); peer reputation starts empty`);
    return 0;
  }
  let file: Partial<ReputationFile>;
  try {
    file = JSON.parse(text) as Partial<ReputationFile>;
  } catch (e) {
    warn(`${path}: not valid JSON (${(e as Error).message}); peer reputation starts empty, the file is replaced at the next save`);
    return 0;
  }
  if (typeof file !== 'object' || file === null || file.version !== 1 || !Array.isArray(file.entries)) {
    warn(`${path}: not a Shoal reputation file (version 1 with "entries"); peer reputation starts empty, the file is replaced at the next save`);
    return 0;
  }
  // The time the daemon was down counts towards every entry's age (never negative: a clock set back).
  const down = typeof file.savedAt === 'number' && Number.isFinite(file.savedAt) ? Math.max(0, wallNow - file.savedAt) : 0;
  const before = store.size;
  store.restore(file.entries.map((r) => (typeof r === 'object' && r !== null ? { ...r, ageMs: r.ageMs + down } : r)), now);
  return store.size - before;
}

/** Writes the store to the state directory's file (atomically: a crash leaves the old file or the new one). */
export function saveReputation(dir: string, store: ReputationStore, now: number, wallNow: number): Promise<void> {
  const file: ReputationFile = { version: 1, savedAt: wallNow, entries: store.save(now) };
  return writeFileAtomic(join(dir, REPUTATION_FILE), Buffer.from(JSON.stringify(file)));
}
