/**
 * Download and upload rates over the last minutes, as a small SVG chart. The history is
 * kept in the page (samples as they arrive: `stats` events for the session, the details poll
 * for a torrent), so it starts when the page opens.
 */
import { formatRate } from './format.js';

/** Five minutes of one-second samples. */
export const HISTORY_SAMPLES = 300;

export interface RateSample {
  readonly at: number;
  readonly down: number;
  readonly up: number;
}

/** Appends a sample, keeping the last `HISTORY_SAMPLES` (a new array: state updates stay immutable). */
export function pushSample(history: readonly RateSample[], sample: RateSample): RateSample[] {
  const next = history.length >= HISTORY_SAMPLES ? history.slice(history.length - HISTORY_SAMPLES + 1) : history.slice();
  next.push(sample);
  return next;
}

export function SpeedGraph({ samples, width, height, compact = false }: { samples: readonly RateSample[]; width: number; height: number; compact?: boolean }) {
  const top = compact ? 2 : 14, bottom = height - (compact ? 2 : 14);
  const highest = Math.max(0, ...samples.map((s) => Math.max(s.down, s.up)));
  const peak = Math.max(1, highest);
  // The x axis is the whole window, newest on the right, so the line grows in from the right.
  const span = (HISTORY_SAMPLES - 1) * 1000;
  const last = samples.length > 0 ? samples[samples.length - 1].at : 0;
  const x = (at: number) => width - ((last - at) / span) * width;
  const y = (v: number) => bottom - (v / peak) * (bottom - top);
  const line = (pick: (s: RateSample) => number) => samples.map((s) => `${x(s.at).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
  const latest = samples[samples.length - 1];
  const label = `Speed over the last ${Math.round(span / 60_000)} minutes: down ${formatRate(latest?.down ?? 0, '0 B/s')}, up ${formatRate(latest?.up ?? 0, '0 B/s')}, peak ${formatRate(highest, '0 B/s')}`;
  return (
    <svg class={compact ? 'speed-graph compact' : 'speed-graph'} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{label}</title>
      <line class="axis" x1="0" y1={bottom} x2={width} y2={bottom} />
      {!compact && <text class="tick" x="2" y="10">{highest > 0 ? formatRate(highest) : 'idle'}</text>}
      {!compact && <text class="tick" x="2" y={height - 2}>0 · last 5 min</text>}
      {samples.length > 1 && <polyline class="down" points={line((s) => s.down)} />}
      {samples.length > 1 && <polyline class="up" points={line((s) => s.up)} />}
    </svg>
  );
}
