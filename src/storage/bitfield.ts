/**
 * Storage uses the shared bitfield; a stored bitfield with spare bits set is refused
 * (resume data must be exact), which `bitfieldFromStored` checks.
 */
import { Bitfield } from '../util/bitfield.js';

export { Bitfield };

/** Builds a bitfield from stored bytes, refusing a wrong length or spare bits set. */
export function bitfieldFromStored(length: number, bytes: Uint8Array): Bitfield {
  if (bytes.length !== Math.ceil(length / 8)) throw new RangeError(`bitfield needs ${Math.ceil(length / 8)} bytes, got ${bytes.length}`);
  if (length % 8 !== 0 && (bytes[bytes.length - 1] & (0xff >> length % 8)) !== 0) throw new RangeError('bitfield has spare bits set');
  return new Bitfield(length, bytes);
}
