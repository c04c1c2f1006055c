/**
 * The daemon's log (docs/daemon.md#log): one line per thing it does, to stdout and to
 * `<state-dir>/shoal.log`, which is capped at `maxBytes` and rotated once to `shoal.log.1`.
 * Lines below the level are dropped. Secrets (the API token) are never passed in here: the
 * web UI address is printed by the CLI to stdout only.
 */
import { appendFileSync, existsSync, renameSync, statSync } from 'node:fs';
import type { LogLevel } from './config.js';

/** Default cap of shoal.log before it is rotated to shoal.log.1 (so at most twice this on disk). */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface DaemonLogOptions {
  readonly level: LogLevel;
  /** The log file; undefined: stdout only. */
  readonly file?: string;
  readonly maxBytes?: number;
  /** Where lines go besides the file (default: stdout). */
  readonly out?: (line: string) => void;
  /** Wall clock (ms since the epoch) for the time stamps. */
  readonly now: () => number;
}

export class DaemonLog {
  private size: number;
  private fileBroken = false;

  constructor(private readonly o: DaemonLogOptions) {
    this.size = o.file && existsSync(o.file) ? statSync(o.file).size : 0;
  }

  error(m: string): void {
    this.write('error', m);
  }
  warn(m: string): void {
    this.write('warn', m);
  }
  info(m: string): void {
    this.write('info', m);
  }
  debug(m: string): void {
    this.write('debug', m);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.o.level];
  }

  private write(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    // One line per entry: a name from a torrent must not forge the next line.
    const line = `${new Date(this.o.now()).toISOString()} ${level.padEnd(5)} ${message.replace(/[\r\n]+/g, ' ')}\n`;
    (this.o.out ?? ((l: string) => process.stdout.write(l)))(line);
    if (!this.o.file || this.fileBroken) return;
    const bytes = Buffer.byteLength(line);
    try {
      if (this.size > 0 && this.size + bytes > (this.o.maxBytes ?? DEFAULT_LOG_MAX_BYTES)) {
        renameSync(this.o.file, `${this.o.file}.1`); // the one older file is replaced
        this.size = 0;
      }
      appendFileSync(this.o.file, line, { mode: 0o600 });
      this.size += bytes;
    } catch (e) {
      // A full or read-only disk must not stop the daemon: say it once, keep stdout.
      this.fileBroken = true;
      process.stderr.write(`shoal daemon: cannot write the log file ${this.o.file}: ${(e as Error).message}; logging to stdout only\n`);
    }
  }
}
