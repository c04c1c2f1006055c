/**
 * The common overlay interface: what the comparison harness (and any other driver, such as
 * the real-sockets test) sees of a node of any overlay. Each overlay is a sans-I/O core on
 * the runtime seam: it takes a `Runtime` and one bound UDP endpoint, and does everything
 * through them, so the same code runs on the simulator and on real sockets.
 */
import type { Address, Runtime, UdpEndpoint } from '../runtime/types.js';
import type { AddressTable } from './common/addresses.js';
import type { OverlayCounters } from './common/counters.js';

export type OverlayName = 'flooding' | 'random-walk' | 'super-peer' | 'chord' | 'pastry' | 'kademlia';
export const OVERLAY_NAMES: readonly OverlayName[] = ['flooding', 'random-walk', 'super-peer', 'chord', 'pastry', 'kademlia'];

/** Unstructured (keyword search over a random graph), hybrid (super-peers), structured (a DHT). */
export type OverlayFamily = 'unstructured' | 'hybrid' | 'structured';

/** What is looked for. Unstructured overlays search by keyword; structured ones by key. */
export interface QueryTarget {
  /** The item's keyword (UTF-8), matched exactly by nodes that share the item. */
  readonly keyword: Uint8Array;
  /** SHA-1 of the keyword: the item's key in a DHT. */
  readonly digest: Uint8Array;
  /** The digest's first 48 bits: the key on Chord's and Pastry's 2^48 rings. */
  readonly key48: number;
}

export interface QueryResult {
  /** A hit came back (unstructured), or the lookup ended at a node claiming the key. */
  readonly found: boolean;
  /** Overlay hops the query travelled to reach the node that answered. */
  readonly hops: number;
  /** The node that answered (structured: the node it believes responsible). */
  readonly responder: Address | null;
}

/** What a node is told about its place in an experiment. */
export interface OverlayNodeContext {
  /** A dense index, for the shared per-node counters. */
  readonly index: number;
  readonly counters: OverlayCounters;
  /** Shared by the nodes of one process; maps address keys to `Address` objects. */
  readonly addresses: AddressTable;
  /** Relative capacity (>= 1, heavy-tailed), used by super-peer election. */
  readonly capacity: number;
}

export interface OverlayNode {
  /** The node's transport address (its endpoint's). */
  readonly address: Address;
  /** True once the node has joined and can answer and route queries. */
  readonly joined: boolean;
  /** Joins through the given members (empty: this node starts a new overlay). */
  join(bootstrap: readonly Address[]): void;
  /** Leaves gracefully (hands over what it is responsible for), then stops. */
  leave(): void;
  /** Stops at once: cancels timers, answers nothing more (a crash, seen from outside). */
  stop(): void;
  /** Starts a query; `done` is called exactly once. */
  query(target: QueryTarget, done: (result: QueryResult) => void): void;
  /** Shares an item under its keyword (unstructured and hybrid overlays; others ignore it). */
  share(keyword: Uint8Array): void;
  /** Routing state held: contacts (neighbours, fingers, leaf set...) plus index entries. */
  stateEntries(): number;
}

/** Ground truth for a structured overlay: which live node is responsible for a key. */
export interface ResponsibilityOracle<N extends OverlayNode = OverlayNode> {
  add(node: N): void;
  remove(node: N): void;
  /** The responsible node's address, or null when no node is live. */
  responsible(target: QueryTarget): Address | null;
}

export interface OverlayFactory<N extends OverlayNode = OverlayNode> {
  readonly name: OverlayName;
  readonly family: OverlayFamily;
  /** Creates a node on `runtime`, speaking through `endpoint` (already bound). */
  create(runtime: Runtime, endpoint: UdpEndpoint, context: OverlayNodeContext): N;
  /** Structured overlays only: the ground-truth oracle for success. */
  createOracle?(): ResponsibilityOracle<N>;
}

/** An overlay whose implementation is not available yet: reported as pending, never faked. */
export interface PendingOverlay {
  readonly name: OverlayName;
  readonly family: OverlayFamily;
  readonly pending: string;
}
