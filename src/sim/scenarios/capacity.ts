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
