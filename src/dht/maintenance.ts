/**
 * A node's housekeeping (BEP 5), run on its maintenance timer: refresh one stale bucket,
 * ping the stalest questionable node of buckets with replacements waiting, ping nodes quiet
 * for a minute (staleness repair) and a few unverified nodes, expire stored peers and items, put kept BEP 44 items again, and rejoin
 * when the table has emptied.
 */
import type { DhtNode } from './dht-node.js';
import { findNodeLookup } from './lookups.js';
import { republishLookup } from './item-lookups.js';
import { idToBytes, randomIdInBucket } from './node-id.js';
import { DHT_DEFAULTS } from './options.js';
import type { QueryHandler } from './rpc.js';

/** How many unverified nodes housekeeping pings per tick. */
const VERIFY_PER_TICK = 2;

const NOOP_HANDLER: QueryHandler = { response() {}, error() {}, timeout() {} };
const NO_RESULT = (): void => {};

export function maintain(node: DhtNode, now: number): void {
  const table = node.table;
  const refreshMs = node.options.refreshIntervalMs ?? DHT_DEFAULTS.refreshIntervalMs;
  // One stale bucket refreshed per tick keeps the load smooth.
  for (let i = 0; i < table.bucketCount; i++) {
    if (now - table.lastChanged(i) < refreshMs) continue;
    table.touchBucket(i, now);
    findNodeLookup(node, randomIdInBucket(node.nodeId, i, node.random), NO_RESULT);
    break;
  }
  // BEP 5: ping the stalest questionable node of buckets that have replacements waiting.
  for (let i = 0; i < table.bucketCount; i++) {
    if (table.bucketSize(i).replacements === 0) continue;
    const n = table.stalest(i, now);
    if (n !== undefined) node.queryNode(n, { q: 'ping' }, NOOP_HANDLER);
  }
  // Staleness repair: a ping to nodes quiet for a minute, nearest first (those we name in
  // replies about our neighbourhood, where lookups end). A departed node fails it and leaves
  // our replies (`closest(..., live)`); under Weibull churn at 1,000 nodes this took the
  // departed nodes among a lookup's 12 closest from 4.1 to 1.3 (docs/dht.md).
  const pings = node.options.livenessPings ?? DHT_DEFAULTS.livenessPings;
  if (pings > 0) {
    const quietMs = node.options.livenessQuietMs ?? DHT_DEFAULTS.livenessQuietMs;
    for (const n of table.quiet(now, quietMs, pings)) node.queryNode(n, { q: 'ping' }, NOOP_HANDLER);
  }
  for (const n of table.unverified(VERIFY_PER_TICK)) node.queryNode(n, { q: 'ping' }, NOOP_HANDLER);
  node.expireStores(now);
  if (node.keptItems > 0) republish(node, now);
  if (table.size === 0 && !node.bootstrapping && (node.bootstrapNodes.length > 0 || node.savedContacts.length > 0)) node.bootstrap();
}

/** Puts our kept items again (on both families of a dual-stack pair). */
function republish(node: DhtNode, now: number): void {
  const pair = node.pair;
  for (const { target, item } of node.republisher.due(now)) {
    for (const n of pair === null || pair.isClosed ? [node] : [node, pair]) {
      republishLookup(n, target, item, (r) => {
        if (r.superseded) node.republisher.forget(target);
        node.emit({ type: 'item-republished', target: idToBytes(target), storedAt: r.storedAt, superseded: r.superseded });
      });
    }
  }
}
