/** The live progress line of `shoal get` / `shoal seed` on a terminal. */
import type { SwarmStats } from '../swarm/swarm.js';
import { formatBytes } from './output.js';

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/**
 * One status line. `hasMetadata` false (a magnet whose info dictionary has not arrived):
 * say so instead of a 0.0% that never moves and an ETA of nothing.
 */
export function progressLine(s: SwarmStats, hasMetadata = true): string {
  if (!hasMetadata) return `fetching metadata (BEP 9)  down ${formatBytes(s.downloadRate)}/s  peers ${s.peers}`;
  const pct = s.bytesTotal > 0 ? (100 * s.bytesHave) / s.bytesTotal : 0;
  const left = s.bytesTotal - s.bytesHave;
  return `${pct.toFixed(1).padStart(5)}%  down ${formatBytes(s.downloadRate)}/s  up ${formatBytes(s.uploadRate)}/s  peers ${s.peers}  ETA ${s.complete ? '0:00' : eta(left / s.downloadRate)}`;
}

/** Redraws one status line on a TTY (stderr); silent elsewhere. */
export class StatusLine {
  private readonly tty = process.stderr.isTTY === true;
  private last = '';
  update(text: string): void {
    if (!this.tty || text === this.last) return;
    this.last = text;
    process.stderr.write(`\r\x1b[2K${text}`);
  }
  done(): void {
    if (this.tty && this.last) process.stderr.write('\n');
    this.last = '';
  }
}
