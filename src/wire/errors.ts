/**
 * Errors of the wire layer. A `PeerProtocolError` is a remote violation: the peer sent bytes
 * that break a BEP rule or one of our limits. It is never a bug of ours; the caller drops
 * (and may ban) the peer. Bugs of ours (calling a method in the wrong state) are plain
 * `ShoalError`s or `RangeError`s.
 */
import { InputError } from '../errors.js';

/** What the peer did wrong, for bans, metrics and tests; the message says it in words. */
export type PeerViolation =
  | 'bad_handshake' // not the BitTorrent protocol string, or malformed
  | 'info_hash_mismatch' // a torrent we did not ask for (BEP 3)
  | 'peer_id_mismatch' // not the peer id the tracker announced (BEP 3)
  | 'message_too_long' // a length prefix over a limit (checked before buffering the body)
  | 'malformed_message' // wrong payload length or shape for its id
  | 'unexpected_message' // a message out of order (a second bitfield, ...)
  | 'not_negotiated' // a fast-extension or extension-protocol message without the reserved bit (BEP 6, 10)
  | 'index_out_of_range' // a piece index at or past the piece count
  | 'bad_bitfield' // wrong length or spare bits set (BEP 3)
  | 'bad_request' // a request for a block outside its piece, or longer than the block limit
  | 'request_for_missing_piece' // a request for a piece we never announced
  | 'too_many_requests' // more outstanding requests than the limit, or flooding while choked
  | 'unrequested_piece' // a block we never asked for (BEP 6: MUST close)
  | 'unrequested_hashes' // hashes / hash reject that match no hash request of ours (BEP 52)
  | 'bad_extension_message' // a malformed BEP 10 handshake or extension message
  | 'bad_metadata' // ut_metadata: malformed message, wrong size or piece length (BEP 9)
  | 'corrupt_metadata' // ut_metadata: the assembled info dict fails the info hash, one sender (BEP 9)
  | 'bad_pex'; // ut_pex: malformed compact peers (BEP 11)

/**
 * Whether a violation is corrupt data (bytes that fail a hash) rather than a protocol slip.
 * libtorrent closes a connection for a violation and bans an IP only for corrupt data; a
 * swarm should do the same (pieces failing their hash are judged in swarm/, not here).
 */
export function isCorruptData(violation: PeerViolation): boolean {
  return violation === 'corrupt_metadata';
}

export class PeerProtocolError extends InputError {
  readonly violation: PeerViolation;
  constructor(violation: PeerViolation, message: string, options?: { cause?: unknown }) {
    super(`peer protocol: ${message}`, options);
    this.violation = violation;
  }
}
