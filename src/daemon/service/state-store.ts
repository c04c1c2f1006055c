/**
 * The daemon's state directory: which torrents it has, their settings and counters, the
 * session settings and lifetime statistics. Layout (docs/daemon.md):
 *
 *   torrents.json      snapshot: every torrent record and the lifetime totals (atomic writes)
 *   torrents.log       journal since the snapshot: one JSON line per change, fsynced per (group) commit
 *   meta/<id>.torrent  a torrent's metainfo (written before its record, kept until removal)
 *   settings.json      session settings (atomic writes)
 *   resume/            per-torrent resume data (the session's, see session.ts)
 *
 * Start-up reads two files whatever the number of torrents. A change the daemon has replied
 * to (add, remove, pause, priorities) is in the journal, fsynced, before the reply; counters
 * (progress, bytes up/down) only reach the snapshot, written every minute and at shutdown,
 * so a crash can lose up to a minute of counter updates but never a torrent. A torn last
 * journal line (a crash mid-append) is ignored and the journal compacted away at once.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync, ftruncateSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirsSync } from '../../runtime/node/mkdirs.js';
import { writeFileAtomic } from '../../runtime/node/disk/resume-file.js';
import type { Settings, TorrentId } from '../types.js';

/** What the daemon keeps about one torrent (metainfo bytes live in meta/<id>.torrent). */
export interface TorrentRecord {
  readonly id: TorrentId;
  name: string;
  /** Changed by a move. */
  savePath: string;
  readonly addedAt: number;
  paused: boolean;
  /** The magnet URI it was added with (kept after the metadata arrived). */
  readonly magnet?: string;
  /** Whether meta/<id>.torrent holds its metainfo. */
  hasMetadata: boolean;
  size: number;
  /** File priorities by file index; absent: all 1. */
  priorities?: number[];
  /** Per-torrent rate limits in bytes/s (0 or absent: unlimited). */
  downloadLimit?: number;
  uploadLimit?: number;
  /** Counters as of the last snapshot. */
  bytesHave: number;
  /** All wanted pieces verified at the last snapshot (it seeds; takes no download slot). */
  complete: boolean;
  downloaded: number;
  uploaded: number;
  /** Category name (absent: none). */
  category?: string;
  /** Own seeding limits: absent/null = the global setting, -1 = none for this torrent. */
  seedRatioLimit?: number | null;
  seedTimeLimit?: number | null;
  /** Milliseconds spent seeding, as of the last fold. */
  seedingMs?: number;
  /** Announce tiers set through the API, replacing the torrent's own. */
  trackers?: string[][];
  /** Files renamed through the API: real-file index → path components (below the torrent's folder). */
  renames?: Record<string, string[]>;
  /** The name was set through the API (metadata arriving keeps it). */
  customName?: boolean;
}

export interface LifetimeTotals {
  downloaded: number;
  uploaded: number;
}

interface Snapshot {
  readonly version: 1;
  readonly totals: LifetimeTotals;
  readonly torrents: TorrentRecord[];
}

type JournalEntry = { readonly op: 'put'; readonly t: TorrentRecord } | { readonly op: 'del'; readonly id: TorrentId };

/** Journal size that triggers a compaction into the snapshot. */
const COMPACT_JOURNAL_BYTES = 4 * 1024 * 1024;

/** Whether `t` has the shape of a record (a hand-edited or foreign state file may hold anything). */
function isRecord(t: unknown): t is TorrentRecord {
  if (typeof t !== 'object' || t === null) return false;
  const r = t as Record<string, unknown>;
  const num = (k: string) => typeof r[k] === 'number' && Number.isFinite(r[k]);
  return typeof r.id === 'string' && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(r.id) && typeof r.name === 'string' && typeof r.savePath === 'string'
    && r.savePath !== '' && typeof r.hasMetadata === 'boolean' && typeof r.paused === 'boolean'
    && ['size', 'bytesHave', 'downloaded', 'uploaded', 'addedAt'].every(num);
}

export class StateStore {
  readonly records = new Map<TorrentId, TorrentRecord>();
  /** Why saved entries were skipped at load (malformed records); the daemon logs them. */
  readonly skipped: string[] = [];
  totals: LifetimeTotals = { downloaded: 0, uploaded: 0 };
  private journalFd = -1;
  private journalBytes = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** Journal lines waiting for the next group commit, and the commit they wait for. */
  private pending: Buffer[] = [];
  private commit: Promise<void> | undefined;
  /** Group commits written (each one write + one fsync, however many changes it holds). */
  journalCommits = 0;

  private constructor(readonly dir: string) {}

  /** Opens (creating) the state directory and loads snapshot + journal. Synchronous on purpose: it is the first thing start-up does and nothing else can run meanwhile. */
  static open(dir: string): StateStore {
    makeDirsSync(join(dir, 'meta'));
    const s = new StateStore(dir);
    s.load();
    return s;
  }

  metaPath(id: TorrentId): string {
    return join(this.dir, 'meta', `${id}.torrent`);
  }

  get settingsPath(): string {
    return join(this.dir, 'settings.json');
  }

  readSettings(): Partial<Settings> {
    try {
      return JSON.parse(readFileSync(this.settingsPath, 'utf8')) as Partial<Settings>;
    } catch {
      return {};
    }
  }

  writeSettings(s: Settings): Promise<void> {
    return this.serial(() => writeFileAtomic(this.settingsPath, Buffer.from(JSON.stringify(s, null, 1))));
  }

  /** Writes a torrent's metainfo durably (before its record names it). */
  writeMeta(id: TorrentId, bytes: Uint8Array): Promise<void> {
    return writeFileAtomic(this.metaPath(id), bytes);
  }

  readMeta(id: TorrentId): Uint8Array {
    return readFileSync(this.metaPath(id));
  }

  /** Records a new or changed torrent durably (journal append + fsync). */
  put(record: TorrentRecord): Promise<void> {
    this.records.set(record.id, record);
    return this.append({ op: 'put', t: record });
  }

  /** Forgets a torrent durably, then deletes its metainfo. */
  async remove(id: TorrentId): Promise<void> {
    this.records.delete(id);
    await this.append({ op: 'del', id });
    await rm(this.metaPath(id), { force: true });
  }

  /** Writes every record and the totals as the new snapshot and empties the journal. */
  snapshot(): Promise<void> {
    return this.serial(async () => {
      const snap: Snapshot = { version: 1, totals: this.totals, torrents: [...this.records.values()] };
      await writeFileAtomic(join(this.dir, 'torrents.json'), Buffer.from(JSON.stringify(snap)));
      // Replaying the old journal over the new snapshot is harmless (puts and deletes are idempotent), so a crash here loses nothing.
      ftruncateSync(this.journalFd, 0);
      fsyncSync(this.journalFd);
      this.journalBytes = 0;
    });
  }

  async close(): Promise<void> {
    await this.snapshot();
    await this.chain;
    closeSync(this.journalFd);
    this.journalFd = -1;
  }

  /**
   * Group commit: changes made while a commit is waiting join it, so a bulk pause of 1,000
   * torrents is one write and one fsync, not 1,000. Each caller's promise resolves once its
   * line is durable.
   */
  private append(entry: JournalEntry): Promise<void> {
    this.pending.push(Buffer.from(JSON.stringify(entry) + '\n'));
    this.commit ??= this.serial(async () => {
      const lines = Buffer.concat(this.pending);
      this.pending = [];
      this.commit = undefined;
      writeSync(this.journalFd, lines);
      fsyncSync(this.journalFd);
      this.journalCommits++;
      this.journalBytes += lines.length;
      if (this.journalBytes > COMPACT_JOURNAL_BYTES) void this.snapshot().catch(() => undefined); // a failed compaction is retried by the next
    });
    return this.commit;
  }

  /** Runs state writes one at a time, in call order. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private load(): void {
    const snapPath = join(this.dir, 'torrents.json');
    if (existsSync(snapPath)) {
      const snap = JSON.parse(readFileSync(snapPath, 'utf8')) as Snapshot;
      this.totals = { ...snap.totals };
      for (const t of Array.isArray(snap.torrents) ? snap.torrents : []) {
        if (isRecord(t)) this.records.set(t.id, t);
        else this.skipped.push(`torrents.json: a malformed record: ${JSON.stringify(t).slice(0, 200)}`);
      }
    }
    const journalPath = join(this.dir, 'torrents.log');
    let torn = false;
    if (existsSync(journalPath)) {
      const text = readFileSync(journalPath, 'utf8');
      const lines = text.split('\n');
      // The last element is '' after a complete final line; anything else is a torn write.
      torn = lines.pop() !== '';
      for (const line of lines) {
        let e: JournalEntry;
        try {
          e = JSON.parse(line) as JournalEntry;
        } catch {
          torn = true;
          continue;
        }
        if (e?.op === 'put' && isRecord(e.t)) this.records.set(e.t.id, e.t);
        else if (e?.op === 'del' && typeof e.id === 'string') this.records.delete(e.id);
        else this.skipped.push(`torrents.log: a malformed entry: ${line.slice(0, 200)}`);
      }
      this.journalBytes = text.length;
    }
    this.journalFd = openSync(journalPath, 'a');
    if (torn) {
      // Drop the torn tail before anything is appended after it (if that fails, the next snapshot does).
      void this.snapshot().catch(() => undefined);
    }
  }
}
