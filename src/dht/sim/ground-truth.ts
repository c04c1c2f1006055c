/**
 * Ground truth for simulations: the k ids truly closest to a target among a set of nodes.
 * Ids are kept sorted (binary strings sort as bytes), so the nodes sharing the longest
 * prefix with the target form one contiguous range: the smallest prefix range holding at
 * least k nodes contains the k closest. Cost: two binary searches per prefix length tried.
 */
import { compareDistance, type NodeId } from '../node-id.js';

export class GroundTruth {
  private readonly ids: NodeId[];

  constructor(ids: Iterable<NodeId>) {
    this.ids = [...ids].sort();
  }

  get size(): number {
    return this.ids.length;
  }

  /** The `k` closest ids to `target`, closest first. */
  closest(target: NodeId, k: number): NodeId[] {
    const ids = this.ids;
    if (ids.length <= k) return [...ids].sort((a, b) => compareDistance(a, b, target));
    let lo = 0, hi = ids.length;
    for (let bits = 160; bits >= 0; bits--) {
      const [a, b] = prefixRange(target, bits);
      lo = lowerBound(ids, a);
      hi = upperBound(ids, b);
      if (hi - lo >= k) break;
    }
    return ids.slice(lo, hi).sort((x, y) => compareDistance(x, y, target)).slice(0, k);
  }
}

/** The smallest and largest ids that share the first `bits` bits with `target`. */
function prefixRange(target: NodeId, bits: number): [string, string] {
  let lo = '', hi = '';
  for (let i = 0; i < 20; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    const c = target.charCodeAt(i) & mask;
    lo += String.fromCharCode(c);
    hi += String.fromCharCode(c | (~mask & 0xff));
  }
  return [lo, hi];
}

function lowerBound(a: readonly string[], x: string): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m] < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function upperBound(a: readonly string[], x: string): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}
