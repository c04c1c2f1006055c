/**
 * The workload's catalogue: named items with Zipf query popularity, each replicated on a
 * number of nodes that depends on the replication strategy (Cohen & Shenker 2002):
 * uniform, proportional to popularity, or proportional to its square root.
 */
import { createHash } from 'node:crypto';
import type { Random } from '../../runtime/types.js';
import type { QueryTarget } from '../types.js';
import { idFromDigest } from '../common/ring.js';
import { ZipfDistribution } from './zipf.js';

export type Replication = 'uniform' | 'proportional' | 'sqrt';

export interface CatalogueOptions {
  /** Distinct items. Default 1000. */
  items: number;
  /** Zipf exponent of query popularity. Default 0.8. */
  zipfExponent: number;
  /** How copies are spread over items. Default 'proportional'. */
  replication: Replication;
  /** Copies per node on average (total copies = this x nodes). Default 10. */
  copiesPerNode: number;
}

export const CATALOGUE_DEFAULTS: CatalogueOptions = { items: 1000, zipfExponent: 0.8, replication: 'proportional', copiesPerNode: 10 };

export class Catalogue {
  readonly options: CatalogueOptions;
  readonly targets: readonly QueryTarget[];
  readonly popularity: ZipfDistribution;

  constructor(options: Partial<CatalogueOptions> = {}) {
    const o = { ...CATALOGUE_DEFAULTS, ...options };
    this.options = o;
    this.popularity = new ZipfDistribution(o.items, o.zipfExponent);
    const targets: QueryTarget[] = [];
    for (let i = 0; i < o.items; i++) {
      const keyword = new TextEncoder().encode(`item-${i.toString().padStart(6, '0')}`);
      const digest = new Uint8Array(createHash('sha1').update(keyword).digest());
      targets.push({ keyword, digest, key48: idFromDigest(digest) });
    }
    this.targets = targets;
  }

  /** Copies of each item for a network of `nodes` (each at least 1, at most `nodes`). */
  replicaCounts(nodes: number): Int32Array {
    const o = this.options;
    const w = new Float64Array(o.items);
    let sum = 0;
    for (let i = 0; i < o.items; i++) {
      const p = this.popularity.probability(i);
      sum += w[i] = o.replication === 'uniform' ? 1 : o.replication === 'sqrt' ? Math.sqrt(p) : p;
    }
    const total = o.copiesPerNode * nodes;
    const out = new Int32Array(o.items);
    for (let i = 0; i < o.items; i++) out[i] = Math.min(nodes, Math.max(1, Math.round((total * w[i]) / sum)));
    return out;
  }

  /**
   * Places the copies: for each node index, the items it shares. Copies of one item go to
   * distinct nodes, drawn with `random`.
   */
  place(nodes: number, random: Random): number[][] {
    const counts = this.replicaCounts(nodes);
    const held: number[][] = Array.from({ length: nodes }, () => []);
    const mark = new Int32Array(nodes).fill(-1);
    for (let item = 0; item < counts.length; item++) {
      const c = counts[item];
      if (c * 2 > nodes) {
        // Dense: a partial Fisher-Yates shuffle of all nodes.
        const order = Int32Array.from({ length: nodes }, (_, i) => i);
        for (let k = 0; k < c; k++) {
          const j = k + random.int(nodes - k);
          const t = order[k];
          order[k] = order[j];
          order[j] = t;
          held[order[k]].push(item);
        }
        continue;
      }
      for (let k = 0; k < c; ) {
        const n = random.int(nodes);
        if (mark[n] === item) continue;
        mark[n] = item;
        held[n].push(item);
        k++;
      }
    }
    return held;
  }
}
