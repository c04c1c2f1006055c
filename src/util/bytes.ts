/**
 * A private copy of bytes. Not `x.slice()`: on a Node Buffer (what sockets and files hand us)
 * `slice` returns a view of the same memory, not a copy.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
