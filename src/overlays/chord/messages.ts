/**
 * Chord's messages (tag 'C'). Contacts are 12 bytes (id u48, address u48); see
 * `common/contacts.ts`. After the 3-byte header (tag, type, flags):
 *
 *   GET_PRED      tx u32                                     stabilise / finger check
 *   PRED_REPLY    tx u32 | hasPred u8 | [pred contact] | successors (list)
 *   NOTIFY        id u48                                      "I might be your predecessor"
 *   FIND          tx u32 | key u48                            one iterative step
 *   FIND_REPLY    tx u32 | done u8 | contacts (list)          done: my successors; else closer nodes
 *   OWNER_Q       tx u32 | key u48                            "are you responsible for key?"
 *   OWNER_R       tx u32 | owner u8 | hasPred u8 | [pred contact] | hasValue u8 | [len u8 | value]
 *   RLOOKUP       hopTx u32 | qid u32 | origin address | key u48 | hops u8 | final u8
 *   HOP_ACK       hopTx u32                                   a recursive hop arrived
 *   FOUND         qid u32 | hops u8 | responder contact       to the origin of a recursive lookup
 *   JOIN_HELLO    tx u32 | id u48                             a joining node to its successor
 *   WELCOME       tx u32 | hasPred u8 | [pred contact] | successors (list) | finger hints (list)
 *   NEW_SUCC      contact                                     "a node joined just after you"
 *   LEAVING       hasPred u8 | [pred contact] | successors (list)
 *   KEYS          count u8 | count x (key u48 | len u8 | value)   keys handed over
 *   STORE         same layout as KEYS (a put)
 */
import { ByteReader, OverlayMessageError } from '../common/binary.js';
import { ADDRESS_BYTES, readAddressKey, writeAddressKey } from '../common/addresses.js';
import { startMessage } from '../common/base-node.js';
import { CONTACT_BYTES, readContactList, readContactListInto, writeContact, writeContactList, type ContactList } from '../common/contacts.js';

export const CHORD_TAG = 0x43; // 'C'

export const GET_PRED = 1;
export const PRED_REPLY = 2;
export const NOTIFY = 3;
export const FIND = 4;
export const FIND_REPLY = 5;
export const OWNER_Q = 6;
export const OWNER_R = 7;
export const RLOOKUP = 8;
export const HOP_ACK = 9;
export const FOUND = 10;
export const JOIN_HELLO = 11;
export const WELCOME = 12;
export const NEW_SUCC = 13;
export const LEAVING = 14;
export const KEYS = 15;
export const STORE = 16;

/** Longest contact list in any Chord message. */
export const MAX_CONTACTS = 48;
/** Longest stored value, bytes. */
export const MAX_VALUE_BYTES = 255;

export interface Contact {
  id: number;
  key: number;
}

function readOptionalContact(r: ByteReader): Contact | null {
  const has = r.u8();
  if (has > 1) throw new OverlayMessageError(`bad presence flag ${has}`);
  return has === 1 ? { id: r.u48(), key: readAddressKey(r) } : null;
}

function optionalContactBytes(c: Contact | null): number {
  return c === null ? 1 : 1 + CONTACT_BYTES;
}

function writeOptionalContact(w: ReturnType<typeof startMessage>, c: Contact | null): void {
  if (c === null) w.u8(0);
  else {
    w.u8(1);
    writeContact(w, c.id, c.key);
  }
}

function listBytes(n: number): number {
  return 1 + n * CONTACT_BYTES;
}

export function encodeTx(type: number, traffic: number, tx: number): Uint8Array {
  return startMessage(CHORD_TAG, type, traffic, 4).u32(tx).finish();
}

export function encodeTxKey(type: number, traffic: number, tx: number, key: number): Uint8Array {
  return startMessage(CHORD_TAG, type, traffic, 10).u32(tx).u48(key).finish();
}

export function decodeTx(r: ByteReader): number {
  const tx = r.u32();
  r.end();
  return tx;
}

export function decodeTxKey(r: ByteReader): { tx: number; key: number } {
  const tx = r.u32();
  const key = r.u48();
  r.end();
  return { tx, key };
}

export function encodePredReply(traffic: number, tx: number, pred: Contact | null, ids: ArrayLike<number>, keys: ArrayLike<number>, n: number): Uint8Array {
  const w = startMessage(CHORD_TAG, PRED_REPLY, traffic, 4 + optionalContactBytes(pred) + listBytes(n)).u32(tx);
  writeOptionalContact(w, pred);
  writeContactList(w, ids, keys, n);
  return w.finish();
}

/** Where `decodePredReply` puts the successor list: valid until the next PRED_REPLY is decoded. */
const predReplySuccessors: ContactList = { ids: [], keys: [] };

/**
 * Decodes a PRED_REPLY (the most common Chord message: two per node per stabilise period).
 * Its successor list is a shared buffer, overwritten by the next PRED_REPLY: copy it to keep it.
 */
export function decodePredReply(r: ByteReader): { tx: number; pred: Contact | null; succ: ContactList } {
  const tx = r.u32();
  const pred = readOptionalContact(r);
  const succ = readContactListInto(r, MAX_CONTACTS, 'successor list', predReplySuccessors);
  r.end();
  return { tx, pred, succ };
}

export function encodeId(type: number, id: number): Uint8Array {
  return startMessage(CHORD_TAG, type, 0, 6).u48(id).finish();
}

export function decodeId(r: ByteReader): number {
  const id = r.u48();
  r.end();
  return id;
}

export function encodeFindReply(traffic: number, tx: number, done: boolean, ids: ArrayLike<number>, keys: ArrayLike<number>, n: number): Uint8Array {
  const w = startMessage(CHORD_TAG, FIND_REPLY, traffic, 5 + listBytes(n)).u32(tx).u8(done ? 1 : 0);
  writeContactList(w, ids, keys, n);
  return w.finish();
}

export function decodeFindReply(r: ByteReader): { tx: number; done: boolean; contacts: ContactList } {
  const tx = r.u32();
  const done = r.u8();
  if (done > 1) throw new OverlayMessageError(`bad done flag ${done}`);
  const contacts = readContactList(r, MAX_CONTACTS, 'find reply');
  r.end();
  return { tx, done: done === 1, contacts };
}

export function encodeOwnerReply(traffic: number, tx: number, owner: boolean, pred: Contact | null, value: Uint8Array | null): Uint8Array {
  const w = startMessage(CHORD_TAG, OWNER_R, traffic, 5 + optionalContactBytes(pred) + 1 + (value === null ? 0 : 1 + value.byteLength));
  w.u32(tx).u8(owner ? 1 : 0);
  writeOptionalContact(w, pred);
  if (value === null) w.u8(0);
  else w.u8(1).u8(value.byteLength).bytes(value);
  return w.finish();
}

export function decodeOwnerReply(r: ByteReader): { tx: number; owner: boolean; pred: Contact | null; value: Uint8Array | null } {
  const tx = r.u32();
  const owner = r.u8();
  if (owner > 1) throw new OverlayMessageError(`bad owner flag ${owner}`);
  const pred = readOptionalContact(r);
  const hasValue = r.u8();
  if (hasValue > 1) throw new OverlayMessageError(`bad value flag ${hasValue}`);
  const value = hasValue === 1 ? r.bytes(r.u8()) : null;
  r.end();
  return { tx, owner: owner === 1, pred, value };
}

export interface RecursiveLookup {
  hopTx: number;
  qid: number;
  origin: number;
  key: number;
  hops: number;
  final: boolean;
}

export function encodeRecursive(m: RecursiveLookup): Uint8Array {
  const w = startMessage(CHORD_TAG, RLOOKUP, 1, 8 + ADDRESS_BYTES + 8).u32(m.hopTx).u32(m.qid);
  writeAddressKey(w, m.origin);
  return w.u48(m.key).u8(m.hops).u8(m.final ? 1 : 0).finish();
}

export function decodeRecursive(r: ByteReader): RecursiveLookup {
  const hopTx = r.u32();
  const qid = r.u32();
  const origin = readAddressKey(r);
  const key = r.u48();
  const hops = r.u8();
  const final = r.u8();
  if (final > 1) throw new OverlayMessageError(`bad final flag ${final}`);
  r.end();
  return { hopTx, qid, origin, key, hops, final: final === 1 };
}

export function encodeFound(qid: number, hops: number, id: number, key: number): Uint8Array {
  const w = startMessage(CHORD_TAG, FOUND, 1, 5 + CONTACT_BYTES).u32(qid).u8(hops);
  writeContact(w, id, key);
  return w.finish();
}

export function decodeFound(r: ByteReader): { qid: number; hops: number; id: number; key: number } {
  const qid = r.u32();
  const hops = r.u8();
  const id = r.u48();
  const key = readAddressKey(r);
  r.end();
  return { qid, hops, id, key };
}

export function encodeJoinHello(tx: number, id: number): Uint8Array {
  return startMessage(CHORD_TAG, JOIN_HELLO, 0, 10).u32(tx).u48(id).finish();
}

export function encodeWelcome(tx: number, pred: Contact | null, succ: ContactList, hints: ContactList): Uint8Array {
  const ns = Math.min(succ.ids.length, MAX_CONTACTS);
  const nh = Math.min(hints.ids.length, MAX_CONTACTS);
  const w = startMessage(CHORD_TAG, WELCOME, 0, 4 + optionalContactBytes(pred) + listBytes(ns) + listBytes(nh)).u32(tx);
  writeOptionalContact(w, pred);
  writeContactList(w, succ.ids, succ.keys, ns);
  writeContactList(w, hints.ids, hints.keys, nh);
  return w.finish();
}

export function decodeWelcome(r: ByteReader): { tx: number; pred: Contact | null; succ: ContactList; hints: ContactList } {
  const tx = r.u32();
  const pred = readOptionalContact(r);
  const succ = readContactList(r, MAX_CONTACTS, 'welcome successors');
  const hints = readContactList(r, MAX_CONTACTS, 'welcome hints');
  r.end();
  return { tx, pred, succ, hints };
}

export function encodeContactMessage(type: number, id: number, key: number): Uint8Array {
  const w = startMessage(CHORD_TAG, type, 0, CONTACT_BYTES);
  writeContact(w, id, key);
  return w.finish();
}

export function decodeContact(r: ByteReader): Contact {
  const id = r.u48();
  const key = readAddressKey(r);
  r.end();
  return { id, key };
}

export function encodeLeaving(pred: Contact | null, ids: ArrayLike<number>, keys: ArrayLike<number>, n: number): Uint8Array {
  const w = startMessage(CHORD_TAG, LEAVING, 0, optionalContactBytes(pred) + listBytes(n));
  writeOptionalContact(w, pred);
  writeContactList(w, ids, keys, n);
  return w.finish();
}

export function decodeLeaving(r: ByteReader): { pred: Contact | null; succ: ContactList } {
  const pred = readOptionalContact(r);
  const succ = readContactList(r, MAX_CONTACTS, 'leaving successors');
  r.end();
  return { pred, succ };
}

/** Encodes as many of `entries` as fit in `budget` bytes of body; returns the message and how many. */
export function encodeKeys(type: number, traffic: number, entries: readonly [number, Uint8Array][], budget: number): { message: Uint8Array; count: number } {
  let size = 1;
  let n = 0;
  while (n < entries.length && n < 255 && size + 7 + entries[n][1].byteLength <= budget) size += 7 + entries[n++][1].byteLength;
  const w = startMessage(CHORD_TAG, type, traffic, size).u8(n);
  for (let i = 0; i < n; i++) w.u48(entries[i][0]).u8(entries[i][1].byteLength).bytes(entries[i][1]);
  return { message: w.finish(), count: n };
}

/** Encodes all of `entries` in as many messages as they need (an entry that fits no message is left out). */
export function encodeKeyBatches(type: number, traffic: number, entries: readonly [number, Uint8Array][], budget: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let rest = entries;
  while (rest.length > 0) {
    const { message, count } = encodeKeys(type, traffic, rest, budget);
    if (count === 0) break;
    out.push(message);
    rest = rest.slice(count);
  }
  return out;
}

export function decodeKeys(r: ByteReader): [number, Uint8Array][] {
  const n = r.u8();
  const out: [number, Uint8Array][] = [];
  for (let i = 0; i < n; i++) {
    const key = r.u48();
    out.push([key, r.bytes(r.u8())]);
  }
  r.end();
  return out;
}
