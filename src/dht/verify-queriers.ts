/**
 * Nodes that query us (BEP 5): a node already in the table is refreshed; a new one is
 * verified with a ping while its bucket is short of verified nodes, else kept unverified.
 */
import type { Address } from '../runtime/types.js';
import { addressKey } from './compact.js';
import type { DhtNode } from './dht-node.js';
import type { NodeId } from './node-id.js';
import { DHT_DEFAULTS } from './options.js';

/** Most verification pings in flight at once (a defence limit: queriers cannot make us send more). */
export const MAX_VERIFY_PINGS = 16;

/** A node queried us: refresh it, or verify it with a ping when its bucket has room. */
export function heardFromQuerier(node: DhtNode, id: NodeId, from: Address, now: number): void {
  const table = node.table;
  if (table.queried(id, from, now)) return;
  if (!node.acceptsId(id, from)) return;
  // Ping to verify it while its bucket is short of verified nodes; past that (the big far
  // buckets) keep it unverified (never handed out) until housekeeping or a lookup of ours
  // hears from it: pings to every querier would be most of a node's traffic.
  const enough = node.options.verifyQueriers ?? DHT_DEFAULTS.verifyQueriers;
  if (table.verifiedNear(id) >= enough) {
    table.heardAbout({ id, address: from }, now);
    return;
  }
  if (!table.hasRoomFor(id)) return;
  const key = addressKey(from);
  node.verifying ??= new Set();
  if (node.verifying.has(key) || node.verifying.size >= MAX_VERIFY_PINGS) return;
  node.verifying.add(key);
  const done = (): void => {
    node.verifying?.delete(key);
    if (node.verifying?.size === 0) node.verifying = null;
  };
  node.query(from, { q: 'ping' }, { response: done, error: done, timeout: done });
}
