/** Errors of the DHT: remote protocol violations are `InputError`s, never bugs of ours. */
import { InputError, ShoalError } from '../errors.js';

/** A KRPC message broke a rule (malformed, too large, wrong field type). */
export class KrpcDecodeError extends InputError {
  /** The transaction id, when it could be read, so an error reply can be sent. */
  readonly transactionId: Uint8Array | undefined;
  constructor(message: string, transactionId?: Uint8Array) {
    super(`krpc: ${message}`);
    this.transactionId = transactionId;
  }
}

/** A DHT operation failed: no nodes reachable, invalid item, node closed, ... */
export class DhtError extends ShoalError {}

/** A remote node answered a query with a KRPC error (`y` = `e`). */
export class KrpcRemoteError extends DhtError {
  readonly code: number;
  constructor(code: number, message: string) {
    super(`remote DHT node replied with error ${code}: ${message}`);
    this.code = code;
  }
}
