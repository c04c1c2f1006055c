/**
 * Transport addresses as numbers. Overlay cores keep contacts in typed arrays, so an IPv4
 * address and port are packed into one exact double, `ip * 65536 + port` (48 bits), and an
 * `AddressTable` maps keys back to `Address` objects when a datagram is sent.
 *
 * In the simulator every endpoint's own `Address` object is registered, so a key resolves to
 * the very object the simulator uses for its fast path, and `register` tags that object with
 * its key (a non-enumerable symbol property), so `keyOf(from)` is one property read rather
 * than a lookup in a million-entry map. With real sockets `from` is a fresh object per
 * datagram and is parsed instead.
 * The codecs carry IPv4 only (4 address bytes + 2 port bytes on the wire).
 */
import type { Address } from '../../runtime/types.js';
import { parseIPv4 } from '../../util/compact-address.js';
import type { ByteReader, ByteWriter } from './binary.js';
import { OverlayMessageError } from './binary.js';

/** Bytes an address takes on the wire. */
export const ADDRESS_BYTES = 6;

/** The key `register` tags an address object with (a pure function of host and port, so any table agrees). */
const KEY = Symbol('shoal.overlay.addressKey');

interface TaggedAddress extends Address {
  [KEY]?: number;
}

export class AddressTable {
  /**
   * By IPv4 address as a signed 32-bit integer (a small integer to V8, so the map hashes
   * it cheaply; a 48-bit key would be a heap number): the one address seen at that IP, or
   * a list when several ports share it (as on loopback).
   */
  private readonly byIp = new Map<number, Address | Address[]>();
  private count = 0;

  /** Remembers this exact object for its key (and returns the key). */
  register(address: Address): number {
    const key = parseKey(address);
    if (key < 0) return key;
    this.put(key, address, true);
    if (Object.isExtensible(address) && (address as TaggedAddress)[KEY] === undefined) Object.defineProperty(address, KEY, { value: key });
    return key;
  }

  /** The key of an address, or -1 when it is not an IPv4 address. */
  keyOf(address: Address): number {
    const k = (address as TaggedAddress)[KEY];
    return k === undefined ? parseKey(address) : k;
  }

  /** The `Address` for a key (registered object, or an interned one). */
  get(key: number): Address {
    const ip = Math.floor(key / 65536);
    const port = key - ip * 65536;
    const e = this.byIp.get(ip | 0);
    if (e !== undefined) {
      if (!Array.isArray(e)) {
        if (e.port === port) return e;
      } else {
        for (const a of e) if (a.port === port) return a;
      }
    }
    const a = { host: `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`, port };
    this.put(key, a, false);
    return a;
  }

  get size(): number {
    return this.count;
  }

  private put(key: number, address: Address, replace: boolean): void {
    const ip = Math.floor(key / 65536) | 0;
    const e = this.byIp.get(ip);
    if (e === undefined) {
      this.byIp.set(ip, address);
      this.count++;
      return;
    }
    const list = Array.isArray(e) ? e : [e];
    const i = list.findIndex((a) => a.port === address.port);
    if (i >= 0) {
      if (replace) list[i] = address;
    } else {
      list.push(address);
      this.count++;
    }
    this.byIp.set(ip, list.length === 1 ? list[0] : list);
  }
}

/**
 * `ip * 65536 + port` for an IPv4 literal, or -1. Strict dotted quads through the project's
 * one parser (`01.2.3.4`, ` 1.2.3.4` and `0x1.2.3.4` are not addresses, as on the wire, in the
 * DHT and at trackers).
 */
export function parseKey(address: Address): number {
  const ip = parseIPv4(address.host);
  if (ip < 0) return -1;
  const port = address.port;
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) return -1;
  return ip * 65536 + port;
}

export function writeAddressKey(w: ByteWriter, key: number): void {
  w.u48(key);
}

/** Reads an address key, rejecting port 0 and the unspecified address. */
export function readAddressKey(r: ByteReader): number {
  const key = r.u48();
  if (key % 65536 === 0 || key < 65536) throw new OverlayMessageError('address with port 0 or ip 0.0.0.0');
  return key;
}
