/** Human-readable numbers for the UI: sizes in binary units, rates, durations. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${UNITS[i]}`;
}

/** A rate; `idle` is shown for zero (a dash in tables, "0 B/s" where a number reads better). */
export function formatRate(bytesPerSecond: number, idle = '–'): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : idle;
}

/** Seconds as "2d 3h", "1h 5m", "4m 10s", "9s"; '–' when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function formatPercent(fraction: number): string {
  const p = Math.max(0, Math.min(1, fraction)) * 100;
  // Never round an unfinished torrent up to 100%.
  return `${p === 100 ? '100' : p >= 99.95 ? '99.9' : p.toFixed(1)}%`;
}

/** A local date and time, compact enough not to wrap: "2026-12-06 00:27". */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || ms <= 0) return '–';
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** "in 5m" / "2m ago" relative to now. */
export function formatRelative(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined || ms <= 0) return '–';
  const d = (ms - now) / 1000;
  return d >= 0 ? `in ${formatDuration(d)}` : `${formatDuration(-d)} ago`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
