/**
 * Alternative ("turtle") rate limits: in force while `altEnabled` is set or while the local
 * time is inside `altSchedule` (docs/api.md#settings). Pure: the time comes in as a weekday
 * and a minute of the day.
 */
import type { AltSchedule, Settings } from './types.js';

export interface LocalTime {
  /** 0 Sunday .. 6 Saturday. */
  readonly day: number;
  /** Minutes since local midnight, 0..1439. */
  readonly minute: number;
}

/** The local time of a wall-clock instant in the machine's time zone. */
export function localTimeOf(ms: number): LocalTime {
  const d = new Date(ms);
  return { day: d.getDay(), minute: d.getHours() * 60 + d.getMinutes() };
}

function minuteOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * Inside the window? `days` are the days a window starts on; one that passes midnight
 * (from > to) runs on into the next day. from == to is the whole day.
 */
export function inSchedule(s: AltSchedule, t: LocalTime): boolean {
  const from = minuteOf(s.from), to = minuteOf(s.to);
  if (from === to) return s.days.includes(t.day);
  if (from < to) return s.days.includes(t.day) && t.minute >= from && t.minute < to;
  if (t.minute >= from) return s.days.includes(t.day);
  return t.minute < to && s.days.includes((t.day + 6) % 7); // the tail of yesterday's window
}

export function altLimitsActive(s: Settings, t: LocalTime): boolean {
  return s.altEnabled || (s.altSchedule !== null && inSchedule(s.altSchedule, t));
}

/** The session-wide limits in force, bytes/s (0 = unlimited). */
export function rateLimitsInForce(s: Settings, t: LocalTime): { download: number; upload: number; alt: boolean } {
  const alt = altLimitsActive(s, t);
  return alt ? { download: s.altDownloadRateLimit, upload: s.altUploadRateLimit, alt } : { download: s.downloadRateLimit, upload: s.uploadRateLimit, alt };
}

/** Why `v` is not a schedule (`null` or {from, to, days}), or undefined if it is one. */
export function altScheduleProblem(v: unknown): string | undefined {
  if (v === null) return undefined;
  const what = 'altSchedule must be null or {"from": "HH:MM", "to": "HH:MM", "days": [0..6, 0 = Sunday]}';
  if (typeof v !== 'object' || Array.isArray(v)) return what;
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'from' && k !== 'to' && k !== 'days') return `${what}; unknown key "${k}"`;
  for (const k of ['from', 'to']) if (typeof o[k] !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(o[k] as string)) return `${what}; "${k}" is not HH:MM`;
  const days = o.days;
  if (!Array.isArray(days) || days.length > 7 || !days.every((d) => Number.isInteger(d) && d >= 0 && d <= 6)) return `${what}; "days" must be up to 7 integers 0..6`;
  return undefined;
}

/** A checked schedule with its days sorted and unique. */
export function normaliseAltSchedule(v: AltSchedule | null): AltSchedule | null {
  return v === null ? null : { from: v.from, to: v.to, days: [...new Set(v.days)].sort((a, b) => a - b) };
}
