/** A routing table bucket (./routing-table.ts): its entries, kept in step with their id prefixes and verified count. */
import { idPrefix, type NodeId } from './node-id.js';
import { closer, type RoutingNode } from './routing-node.js';

/**
 * A bucket's entries, with their id prefixes alongside in an array of small integers:
 * contiguous memory, so finding an id or the closest entries compares prefixes without
 * touching the entries themselves (scattered over the heap, each a cache miss) except for
 * the few that match. Change `nodes` only through the methods, which keep both in step.
 */
export class Bucket {
  readonly nodes: RoutingNode[] = [];
  private readonly prefixes: number[] = [];
  /** Entries that answered us (kept in step, so asking needs no scan). */
  verified = 0;
  replacements: RoutingNode[] = [];
  lastChanged: number;
  constructor(now: number) {
    this.lastChanged = now;
  }

  get size(): number {
    return this.nodes.length;
  }

  add(n: RoutingNode): void {
    this.nodes.push(n);
    this.prefixes.push(n.prefix);
    if (n.verified) this.verified++;
  }

  removeAt(i: number): void {
    if (this.nodes[i].verified) this.verified--;
    this.nodes.splice(i, 1);
    this.prefixes.splice(i, 1);
  }

  setAt(i: number, n: RoutingNode): void {
    if (this.nodes[i].verified) this.verified--;
    if (n.verified) this.verified++;
    this.nodes[i] = n;
    this.prefixes[i] = n.prefix;
  }

  /** Keeps only the entries `keep` accepts. */
  retain(keep: (n: RoutingNode) => boolean): void {
    let j = 0;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (!keep(n)) continue;
      this.nodes[j] = n;
      this.prefixes[j++] = n.prefix;
    }
    this.nodes.length = j;
    this.prefixes.length = j;
    this.verified = 0;
    for (const n of this.nodes) if (n.verified) this.verified++;
  }

  find(id: NodeId): RoutingNode | undefined {
    const p = idPrefix(id);
    const ps = this.prefixes;
    for (let i = 0; i < ps.length; i++) if (ps[i] === p && this.nodes[i].id === id) return this.nodes[i];
    return undefined;
  }

  /** Merges this bucket's entries into `out` (sorted, at most `count`), keeping the closest to `target` (prefix `tp`). */
  closestInto(out: RoutingNode[], target: NodeId, tp: number, count: number, filter?: (n: RoutingNode) => boolean): void {
    const ps = this.prefixes;
    for (let i = 0; i < ps.length; i++) {
      // Farther by prefix than the last kept entry: out without touching the entry.
      if (out.length === count && (ps[i] ^ tp) > (out[count - 1].prefix ^ tp)) continue;
      const n = this.nodes[i];
      if (filter !== undefined && !filter(n)) continue;
      if (out.length === count && closer(n, out[count - 1], target, tp) >= 0) continue;
      let j = out.length < count ? out.length : count - 1;
      while (j > 0 && closer(n, out[j - 1], target, tp) < 0) {
        out[j] = out[j - 1];
        j--;
      }
      out[j] = n;
    }
  }
}
