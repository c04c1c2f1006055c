/**
 * Joining the network (BEP 5): ask the bootstrap nodes (routers, or any known node) for
 * nodes close to our own id, look up our own id from there, then refresh the farthest
 * buckets that are not yet full with lookups of random ids in their ranges. Saved contacts
 * and nodes already in the table seed the lookup at once; the routers' answers join it as
 * they come. Ends with a `ready` event (or `bootstrap-failed` when nobody answered).
 */
import type { Address } from '../runtime/types.js';
import type { Contact } from './compact.js';
import type { DhtNode } from './dht-node.js';
import { randomIdInBucket } from './node-id.js';
import { DHT_DEFAULTS } from './options.js';
import { findNodeLookup } from './lookups.js';
import type { Traversal } from './traversal.js';

export function runBootstrap(node: DhtNode, routers: readonly Address[], onDone?: (nodes: number) => void): void {
  if (node.bootstrapping || node.isClosed) {
    onDone?.(node.table.size);
    return;
  }
  node.bootstrapping = true;
  const self = node.nodeId;
  let routersPending = routers.length;
  let lookup: Traversal<undefined> | null = null;
  let lookupDone = false;
  let finished = false;

  const finish = (): void => {
    if (finished) return;
    finished = true;
    node.bootstrapping = false;
    const size = node.table.size;
    node.emit(size > 0 ? { type: 'ready', nodes: size } : { type: 'bootstrap-failed' });
    onDone?.(size);
  };

  const refreshFarBuckets = (): void => {
    const wanted = node.options.bootstrapRefreshBuckets ?? DHT_DEFAULTS.bootstrapRefreshBuckets;
    const info = node.table.bucketInfo().filter((b) => b.size < b.capacity && b.index < node.table.bucketCount - 1).slice(0, wanted);
    let pending = info.length;
    if (pending === 0) {
      finish();
      return;
    }
    for (const b of info) {
      node.table.touchBucket(b.index, node.now());
      findNodeLookup(node, randomIdInBucket(self, b.index, node.random), () => {
        if (--pending === 0) finish();
      });
    }
  };

  const onSelfDone = (): void => {
    lookup = null;
    lookupDone = true;
    if (node.table.size === 0) {
      // Nothing answered yet: wait for the routers still pending, if any.
      if (routersPending === 0) finish();
      else lookupDone = false;
      return;
    }
    refreshFarBuckets();
  };

  const startSelf = (extra: readonly Contact[]): void => {
    const seeds = [...node.seeds(self), ...extra];
    lookup = findNodeLookup(node, self, onSelfDone, seeds);
  };

  const routerSettled = (): void => {
    routersPending--;
    if (routersPending === 0 && lookup === null && !lookupDone) finish();
  };

  // BEP 32: a dual-stack node also asks for the other family's nodes (`want`), for its pair.
  const pair = node.pair;
  const want: ('n4' | 'n6')[] | undefined = pair === null ? undefined : ['n4', 'n6'];
  for (const r of routers) {
    node.query(r, { q: 'find_node', target: self, want }, {
      response: (msg) => {
        if (pair !== null) for (const c of (pair.family === 4 ? msg.nodes : msg.nodes6) ?? []) if (pair.acceptContact(c)) pair.heardAbout(c);
        const contacts = ((node.family === 4 ? msg.nodes : msg.nodes6) ?? []).filter((c) => node.acceptContact(c));
        routersPending--;
        if (lookup !== null) lookup.addContacts(contacts);
        else if (!lookupDone) startSelf(contacts);
        if (routersPending === 0 && lookup === null && !lookupDone) finish();
      },
      error: routerSettled,
      timeout: routerSettled,
    });
  }
  if (node.seeds(self).length > 0) startSelf([]);
  else if (routers.length === 0) finish();
}
