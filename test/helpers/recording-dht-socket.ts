import type { Address } from '../../src/runtime/types.js';
import type { DhtSocket } from '../../src/dht/dht-node.js';
import { decodeKrpc, type KrpcMessage } from '../../src/dht/krpc.js';

/** A DHT node's socket for unit tests: keeps every datagram sent, decoded, with its destination. */
export class RecordingDhtSocket implements DhtSocket {
  readonly address: Address = { host: '10.0.0.1', port: 6881 };
  sent: { msg: KrpcMessage; to: Address }[] = [];
  send(data: Uint8Array, to: Address): void {
    this.sent.push({ msg: decodeKrpc(data), to });
  }
  /** What was sent since the last take, and forgets it. */
  take(): { msg: KrpcMessage; to: Address }[] {
    const s = this.sent;
    this.sent = [];
    return s;
  }
}
