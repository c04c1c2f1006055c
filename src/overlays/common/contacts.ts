/**
 * A contact on a 2^48 ring: the node's id and its address key, 12 bytes on the wire
 * (id u48, then IPv4 address u32 and port u16). Lists are a count byte and the entries.
 */
import type { ByteReader, ByteWriter } from './binary.js';
import { readAddressKey, writeAddressKey } from './addresses.js';

export const CONTACT_BYTES = 12;

/** Parallel arrays of ids and address keys, as decoded from a message. */
export interface ContactList {
  readonly ids: number[];
  readonly keys: number[];
}

export function writeContact(w: ByteWriter, id: number, key: number): void {
  w.u48(id);
  writeAddressKey(w, key);
}

export function writeContactList(w: ByteWriter, ids: ArrayLike<number>, keys: ArrayLike<number>, count: number): void {
  w.u8(count);
  for (let i = 0; i < count; i++) writeContact(w, ids[i], keys[i]);
}

export function readContactList(r: ByteReader, max: number, what: string): ContactList {
  const n = r.count8(max, what);
  const ids: number[] = [];
  const keys: number[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(r.u48());
    keys.push(readAddressKey(r));
  }
  return { ids, keys };
}

/**
 * Like `readContactList`, into `out`'s arrays (replacing their contents): for a list that is
 * consumed before the next message is decoded, without allocating two arrays per message.
 */
export function readContactListInto(r: ByteReader, max: number, what: string, out: ContactList): ContactList {
  const n = r.count8(max, what);
  const { ids, keys } = out;
  for (let i = 0; i < n; i++) {
    ids[i] = r.u48();
    keys[i] = readAddressKey(r);
  }
  // Shrinking length is in place; a successor list is almost always the same length.
  ids.length = n;
  keys.length = n;
  return out;
}
