/**
 * BEP 55 holepunch extension (`ut_holepunch`, an extension message of BEP 10).
 *
 * Payload (all big-endian), 12 bytes for IPv4 and 24 for IPv6:
 *   msg_type:1   0 rendezvous | 1 connect | 2 error
 *   addr_type:1  0 IPv4 | 1 IPv6
 *   addr:4|16
 *   port:2
 *   err_code:4   0 outside error messages; 1 NoSuchPeer, 2 NotConnected, 3 NoSupport, 4 NoSelf
 *
 * libtorrent 2.0.8 writes err_code only in error messages: its rendezvous and connect are 8
 * bytes (IPv4) or 20 (IPv6). We send BEP 55's layout (libtorrent ignores the trailing code)
 * and take both for rendezvous and connect; an error must carry its code. Any other length
 * is refused (libtorrent refuses a short message and ignores the rest; a message is tiny
 * and fixed in size).
 *
 * A codec leaf: imports nothing from the engine.
 */
import type { Address } from '../runtime/types.js';
import { bytesToIp, ipToBytes } from './compact.js';
import { PeerProtocolError } from './errors.js';

export const UT_HOLEPUNCH = 'ut_holepunch'; // BEP 55
/** The id we ask peers to send ut_holepunch under (libtorrent's number). */
export const UT_HOLEPUNCH_LOCAL_ID = 4;

export const HOLEPUNCH_RENDEZVOUS = 0x00;
export const HOLEPUNCH_CONNECT = 0x01;
export const HOLEPUNCH_ERROR = 0x02;

/** BEP 55 error codes. */
export const HOLEPUNCH_ERRORS = {
  NoSuchPeer: 1, // the target endpoint is invalid
  NotConnected: 2, // the relay is not connected to the target
  NoSupport: 3, // the target does not support ut_holepunch
  NoSelf: 4, // the target endpoint is the relay itself
} as const;

export type HolepunchErrorName = keyof typeof HOLEPUNCH_ERRORS;

export type HolepunchMessage =
  /** Initiator -> relay: send `connect` to both of us. */
  | { readonly type: 'rendezvous'; readonly address: Address }
  /** Relay -> both: start a uTP connection to `address`. */
  | { readonly type: 'connect'; readonly address: Address }
  /** Relay -> initiator: the rendezvous for `address` cannot be done. An unknown code keeps its number. */
  | { readonly type: 'error'; readonly address: Address; readonly error: HolepunchErrorName | number };

const NAMES = new Map<number, HolepunchErrorName>(Object.entries(HOLEPUNCH_ERRORS).map(([k, v]) => [v, k as HolepunchErrorName]));
const TYPES = ['rendezvous', 'connect', 'error'] as const;

function bad(detail: string): PeerProtocolError {
  return new PeerProtocolError('bad_extension_message', `ut_holepunch: ${detail}`);
}

export function encodeHolepunch(m: HolepunchMessage): Uint8Array {
  const ip = ipToBytes(m.address.host);
  if (!ip) throw new RangeError(`ut_holepunch needs an IP literal, got ${m.address.host}`);
  const port = m.address.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port out of range: ${port}`);
  const out = new Uint8Array(2 + ip.length + 2 + 4);
  const v = new DataView(out.buffer);
  out[0] = TYPES.indexOf(m.type);
  out[1] = ip.length === 4 ? 0 : 1;
  out.set(ip, 2);
  v.setUint16(2 + ip.length, port);
  const code = m.type !== 'error' ? 0 : typeof m.error === 'number' ? m.error : HOLEPUNCH_ERRORS[m.error];
  v.setUint32(4 + ip.length, code >>> 0);
  return out;
}

/**
 * Decodes a ut_holepunch payload. Throws `PeerProtocolError` ('bad_extension_message') for an
 * unknown message or address type, or a length that is not the address type's (with the
 * err_code, or without it for rendezvous and connect as libtorrent sends them).
 */
export function decodeHolepunch(payload: Uint8Array): HolepunchMessage {
  if (payload.length < 2) throw bad(`message of ${payload.length} bytes`);
  const kind = payload[0];
  if (kind > HOLEPUNCH_ERROR) throw bad(`unknown msg_type ${kind}`);
  const addrType = payload[1];
  if (addrType > 1) throw bad(`unknown addr_type ${addrType}`);
  const ipLen = addrType === 0 ? 4 : 16;
  const want = 2 + ipLen + 2 + 4;
  const withoutCode = kind !== HOLEPUNCH_ERROR && payload.length === want - 4; // libtorrent 2.0.8
  if (payload.length !== want && !withoutCode) throw bad(`${payload.length} bytes where addr_type ${addrType} needs ${want}`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const address = { host: bytesToIp(payload.subarray(2, 2 + ipLen)), port: v.getUint16(2 + ipLen) };
  const code = withoutCode ? 0 : v.getUint32(4 + ipLen);
  if (kind === HOLEPUNCH_RENDEZVOUS) return { type: 'rendezvous', address };
  if (kind === HOLEPUNCH_CONNECT) return { type: 'connect', address };
  return { type: 'error', address, error: NAMES.get(code) ?? code };
}
