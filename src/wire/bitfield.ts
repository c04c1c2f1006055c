/** The wire's view of a piece bitfield: the shared `Bitfield` plus strict parsing of a peer's message. */
import { Bitfield as BaseBitfield } from '../util/bitfield.js';
import { PeerProtocolError } from './errors.js';

export class Bitfield extends BaseBitfield {
  /**
   * A peer's bitfield message for a torrent of `length` pieces (copied). Throws
   * `PeerProtocolError` ('bad_bitfield') on a wrong byte count or a spare bit set.
   */
  static fromWire(bytes: Uint8Array, length: number): Bitfield {
    const expected = Math.ceil(length / 8);
    if (bytes.length !== expected) throw new PeerProtocolError('bad_bitfield', `bitfield is ${bytes.length} bytes, expected ${expected} for ${length} pieces`);
    const spare = expected * 8 - length;
    if (spare > 0 && (bytes[expected - 1] & ((1 << spare) - 1)) !== 0) throw new PeerProtocolError('bad_bitfield', 'bitfield has spare bits set past the last piece');
    return new Bitfield(length, bytes);
  }
}
