/** The small types a `DhtNode` (./dht-node.ts) is built from: its socket port, its environment, its counters. */
import type { Address, Clock, Random } from '../runtime/types.js';

/** The node's view of its socket: where it is bound, and how to send. */
export interface DhtSocket {
  readonly address: Address;
  send(data: Uint8Array, to: Address): void;
}

/** What the node takes from the runtime. */
export interface DhtEnvironment {
  readonly clock: Clock;
  readonly random: Random;
}

/** Counters for reports and tests. */
export class DhtStats {
  queriesSent = 0;
  queriesReceived = 0;
  responsesReceived = 0;
  errorsReceived = 0;
  timeouts = 0;
  malformed = 0;
  unexpected = 0;
  rateLimited = 0;
}
