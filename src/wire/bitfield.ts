/** The wire's view of a piece bitfield: the shared `Bitfield` plus strict parsing of a peer's message. */
import { Bitfield as BaseBitfield } from '../util/bitfield.js';
import { PeerProtocolError } from './errors.js';

export class Bitfield extends BaseBitfield {
  /**
   * A peer's bitfield message for a torrent of `length` pieces (copied). Throws
   * `PeerProtocolError` ('bad_bitfield') on a wrong byte count. Spare bits past the last
   * piece are cleared, not refused: BEP 3 says a client should drop such a peer, but
   * libtorrent ignores them and so do we (they name no piece).
   */
  static fromWire(bytes: Uint8Array, length: number): Bitfield {
    const expected = Math.ceil(length / 8);
    if (bytes.length !== expected) throw new PeerProtocolError('bad_bitfield', `bitfield is ${bytes.length} bytes, expected ${expected} for ${length} pieces`);
    return new Bitfield(length, bytes);
  }
}
