/**
 * Nodes that query us (BEP 5): a node already in the table is refreshed; a new one is
 * verified with a ping while its bucket is short of verified nodes, else kept unverified.
 */
import type { Address } from '../runtime/types.js';
import type { DhtNode } from './dht-node.js';
import type { NodeId } from './node-id.js';
import { DHT_DEFAULTS } from './options.js';
import type { QueryHandler } from './rpc.js';

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
  const verifying = (node.verifying ??= []);
  if (verifying.length >= MAX_VERIFY_PINGS || indexOfAddress(verifying, from) >= 0) return;
  verifying.push(from);
  node.query(from, PING, new VerifyPing(node, from));
}

const PING = { q: 'ping' } as const;

/**
 * The addresses being verified are a short array compared by value (at most
 * `MAX_VERIFY_PINGS`): a set of `host:port` strings made a string, a set and a closure
 * for every ping in a big simulation.
 */
function indexOfAddress(list: readonly Address[], a: Address): number {
  for (let i = 0; i < list.length; i++) if (list[i].port === a.port && list[i].host === a.host) return i;
  return -1;
}

/** A verification ping's handler: whatever the outcome, the address is no longer being verified. */
class VerifyPing implements QueryHandler {
  constructor(private readonly node: DhtNode, private readonly address: Address) {}

  response(): void {
    this.done();
  }

  error(): void {
    this.done();
  }

  timeout(): void {
    this.done();
  }

  private done(): void {
    const list = this.node.verifying;
    if (list === null) return;
    const i = indexOfAddress(list, this.address);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.node.verifying = null;
  }
}
