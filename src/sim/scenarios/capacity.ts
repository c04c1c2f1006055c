/**
 * Access-link capacities for simulated peers, drawn from a measured distribution.
 *
 * `BHARAMBE_2006` is the peer bandwidth mix of Bharambe, Herley and Padmanabhan, "Analyzing
 * and Improving a BitTorrent Network's Performance Mechanisms" (INFOCOM 2006, Table I),
 * which they derived from the Gnutella host measurements of Saroiu, Gummadi and Gribble
 * ("A Measurement Study of Peer-to-Peer File Sharing Systems", MMCN 2002): four classes of
 * down/up capacity with their shares of the population. Mean upload: 1.18 Mbit/s.
 */
import type { Random } from '../../runtime/types.js';

export interface CapacityClass {
  readonly name: string;
  /** Share of peers in this class (the classes of a distribution sum to 1). */
  readonly share: number;
  readonly downloadBps: number;
  readonly uploadBps: number;
}

export const BHARAMBE_2006: readonly CapacityClass[] = [
  { name: '784k/128k', share: 0.2, downloadBps: 784e3, uploadBps: 128e3 },
  { name: '1.5M/384k', share: 0.4, downloadBps: 1.5e6, uploadBps: 384e3 },
  { name: '3M/1M', share: 0.25, downloadBps: 3e6, uploadBps: 1e6 },
  { name: '10M/5M', share: 0.15, downloadBps: 10e6, uploadBps: 5e6 },
];

/** Draws a class by share. */
export function drawCapacity(classes: readonly CapacityClass[], random: Random): CapacityClass {
  let r = random.next();
  for (const c of classes) {
    r -= c.share;
    if (r < 0) return c;
  }
  return classes[classes.length - 1];
}

/** The population mean of a field (bits per second). */
export function meanCapacity(classes: readonly CapacityClass[], field: 'uploadBps' | 'downloadBps'): number {
  let sum = 0, w = 0;
  for (const c of classes) {
    sum += c.share * c[field];
    w += c.share;
  }
  return sum / w;
}

/**
 * A capacity mix from text: `bharambe` (the default mix) or classes `DOWN/UP[@SHARE]`
 * separated by commas, rates in bit/s with k, M or G (e.g. `2M/512k`, or
 * `784k/128k@0.5,10M/5M@0.5`). Shares default to equal and are normalised. Throws a
 * RangeError naming the bad part.
 */
export function parseCapacities(spec: string): CapacityClass[] {
  if (spec.trim().toLowerCase() === 'bharambe') return [...BHARAMBE_2006];
  const parts = spec.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (parts.length === 0) throw new RangeError('no capacity classes');
  const out = parts.map((part) => {
    const m = /^([0-9.]+[kMG]?)\/([0-9.]+[kMG]?)(?:@([0-9.]+))?$/.exec(part);
    if (!m) throw new RangeError(`'${part}' is not DOWN/UP[@SHARE] (e.g. 2M/512k)`);
    const down = parseBps(m[1]), up = parseBps(m[2]);
    const share = m[3] === undefined ? 1 : Number(m[3]);
    if (!(down > 0) || !(up >= 0) || !(share > 0) || !Number.isFinite(share)) throw new RangeError(`'${part}': rates and share must be positive numbers`);
    return { name: `${bpsName(down)}/${bpsName(up)}`, share, downloadBps: down, uploadBps: up };
  });
  const total = out.reduce((x, c) => x + c.share, 0);
  return out.map((c) => ({ ...c, share: c.share / total }));
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9 };

function parseBps(x: string): number {
  const unit = /[kMG]$/.test(x) ? x.slice(-1) : '';
  const n = Number(unit ? x.slice(0, -1) : x);
  return Number.isFinite(n) ? n * UNITS[unit] : NaN;
}

function bpsName(bps: number): string {
  if (bps >= 1e9 && bps % 1e8 === 0) return `${bps / 1e9}G`;
  if (bps >= 1e6 && bps % 1e5 === 0) return `${bps / 1e6}M`;
  if (bps >= 1e3 && bps % 1e3 === 0) return `${bps / 1e3}k`;
  return String(bps);
}
