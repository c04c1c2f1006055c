/**
 * Pastry's messages (tag 'P'). Contacts are 12 bytes (id u48, address u48). After the
 * 3-byte header (tag, type, flags):
 *
 *   ROUTE       hopTx u32 | kind u8 (1 lookup, 2 join) | qid u32 | hops u8 | key u48 | origin contact
 *   HOP_ACK     hopTx u32
 *   FOUND       qid u32 | hops u8 | responder contact            to a lookup's origin
 *   JOIN_STATE  last u8 | id u48 | rows (list) | leaves (list)    to a joining node, from each hop
 *   ANNOUNCE    id u48                                           a new node, to its leaves and table
 *   LS_REQ      tx u32 | id u48 | leaves (list)                  leaf-set exchange
 *   LS_REPLY    tx u32 | id u48 | leaves (list)
 *   ROW_REQ     tx u32 | row u8                                  routing-table repair / refresh
 *   ROW_REPLY   tx u32 | contacts (list)
 *   PING        tx u32                                            RTT probe
 *   PONG        tx u32 | id u48
 *   LEAVING     id u48 | leaves (list)                            a graceful leave
 */
import { ByteReader, OverlayMessageError } from '../common/binary.js';
import { readAddressKey } from '../common/addresses.js';
import { startMessage } from '../common/base-node.js';
import { CONTACT_BYTES, readContactList, writeContact, writeContactList, type ContactList } from '../common/contacts.js';

export const PASTRY_TAG = 0x50; // 'P'

export const ROUTE = 1;
export const HOP_ACK = 2;
export const FOUND = 3;
export const JOIN_STATE = 4;
export const ANNOUNCE = 5;
export const LS_REQ = 6;
export const LS_REPLY = 7;
export const ROW_REQ = 8;
export const ROW_REPLY = 9;
export const PING = 10;
export const PONG = 11;
export const LEAVING = 12;

export const KIND_LOOKUP = 1;
export const KIND_JOIN = 2;

/** Longest contact list in a Pastry message (fits the default 1400-byte limit twice over the rows). */
export const MAX_CONTACTS = 100;

export interface RouteMessage {
  hopTx: number;
  kind: number;
  qid: number;
  hops: number;
  key: number;
  originId: number;
  origin: number;
}

export function encodeRoute(traffic: number, m: RouteMessage): Uint8Array {
  const w = startMessage(PASTRY_TAG, ROUTE, traffic, 16 + CONTACT_BYTES).u32(m.hopTx).u8(m.kind).u32(m.qid).u8(m.hops).u48(m.key);
  writeContact(w, m.originId, m.origin);
  return w.finish();
}

export function decodeRoute(r: ByteReader): RouteMessage {
  const hopTx = r.u32();
  const kind = r.u8();
  if (kind !== KIND_LOOKUP && kind !== KIND_JOIN) throw new OverlayMessageError(`unknown route kind ${kind}`);
  const qid = r.u32();
  const hops = r.u8();
  const key = r.u48();
  const originId = r.u48();
  const origin = readAddressKey(r);
  r.end();
  return { hopTx, kind, qid, hops, key, originId, origin };
}

export function encodeTx(type: number, traffic: number, tx: number): Uint8Array {
  return startMessage(PASTRY_TAG, type, traffic, 4).u32(tx).finish();
}

export function decodeTx(r: ByteReader): number {
  const tx = r.u32();
  r.end();
  return tx;
}

export function encodeFound(qid: number, hops: number, id: number, key: number): Uint8Array {
  const w = startMessage(PASTRY_TAG, FOUND, 1, 5 + CONTACT_BYTES).u32(qid).u8(hops);
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

function listBytes(l: ContactList): number {
  return 1 + Math.min(l.ids.length, MAX_CONTACTS) * CONTACT_BYTES;
}

function writeList(w: ReturnType<typeof startMessage>, l: ContactList): void {
  writeContactList(w, l.ids, l.keys, Math.min(l.ids.length, MAX_CONTACTS));
}

export function encodeJoinState(last: boolean, id: number, rows: ContactList, leaves: ContactList): Uint8Array {
  const w = startMessage(PASTRY_TAG, JOIN_STATE, 0, 7 + listBytes(rows) + listBytes(leaves)).u8(last ? 1 : 0).u48(id);
  writeList(w, rows);
  writeList(w, leaves);
  return w.finish();
}

export function decodeJoinState(r: ByteReader): { last: boolean; id: number; rows: ContactList; leaves: ContactList } {
  const last = r.u8();
  if (last > 1) throw new OverlayMessageError(`bad last flag ${last}`);
  const id = r.u48();
  const rows = readContactList(r, MAX_CONTACTS, 'join rows');
  const leaves = readContactList(r, MAX_CONTACTS, 'join leaves');
  r.end();
  return { last: last === 1, id, rows, leaves };
}

export function encodeId(type: number, id: number): Uint8Array {
  return startMessage(PASTRY_TAG, type, 0, 6).u48(id).finish();
}

export function decodeId(r: ByteReader): number {
  const id = r.u48();
  r.end();
  return id;
}

export function encodeLeafExchange(type: number, tx: number, id: number, leaves: ContactList): Uint8Array {
  const w = startMessage(PASTRY_TAG, type, 0, 10 + listBytes(leaves)).u32(tx).u48(id);
  writeList(w, leaves);
  return w.finish();
}

export function decodeLeafExchange(r: ByteReader): { tx: number; id: number; leaves: ContactList } {
  const tx = r.u32();
  const id = r.u48();
  const leaves = readContactList(r, MAX_CONTACTS, 'leaf set');
  r.end();
  return { tx, id, leaves };
}

export function encodeRowRequest(tx: number, row: number): Uint8Array {
  return startMessage(PASTRY_TAG, ROW_REQ, 0, 5).u32(tx).u8(row).finish();
}

export function decodeRowRequest(r: ByteReader): { tx: number; row: number } {
  const tx = r.u32();
  const row = r.u8();
  r.end();
  return { tx, row };
}

export function encodeRowReply(tx: number, contacts: ContactList): Uint8Array {
  const w = startMessage(PASTRY_TAG, ROW_REPLY, 0, 4 + listBytes(contacts)).u32(tx);
  writeList(w, contacts);
  return w.finish();
}

export function decodeRowReply(r: ByteReader): { tx: number; contacts: ContactList } {
  const tx = r.u32();
  const contacts = readContactList(r, MAX_CONTACTS, 'row');
  r.end();
  return { tx, contacts };
}

export function encodePong(tx: number, id: number): Uint8Array {
  return startMessage(PASTRY_TAG, PONG, 0, 10).u32(tx).u48(id).finish();
}

export function decodePong(r: ByteReader): { tx: number; id: number } {
  const tx = r.u32();
  const id = r.u48();
  r.end();
  return { tx, id };
}

export function encodeLeaving(id: number, leaves: ContactList): Uint8Array {
  const w = startMessage(PASTRY_TAG, LEAVING, 0, 6 + listBytes(leaves)).u48(id);
  writeList(w, leaves);
  return w.finish();
}

export function decodeLeaving(r: ByteReader): { id: number; leaves: ContactList } {
  const id = r.u48();
  const leaves = readContactList(r, MAX_CONTACTS, 'leaving leaves');
  r.end();
  return { id, leaves };
}
