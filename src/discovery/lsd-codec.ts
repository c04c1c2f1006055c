/**
 * BEP 14 local service discovery announces: an HTTP-like request sent to a multicast group.
 *
 *   BT-SEARCH * HTTP/1.1\r\n
 *   Host: 239.192.152.143:6771\r\n       (the group it is sent to)
 *   Port: <listen port, decimal>\r\n
 *   Infohash: <40 hex digits>\r\n         (one or more, consecutive)
 *   cookie: <opaque>\r\n                  (optional: lets a client skip its own announces)
 *   \r\n
 *   \r\n
 *
 * A leaf codec: no I/O, no engine imports. Unknown headers are ignored (BEP 14).
 */
import { InputError } from '../errors.js';

export const LSD_PORT = 6771;
export const LSD_GROUP_V4 = '239.192.152.143';
export const LSD_GROUP_V6 = 'ff15::efc0:988f';
/** BEP 14: an announce with several infohashes should stay under 1400 bytes (no fragmentation). */
export const LSD_MAX_PACKET_BYTES = 1400;

export class LsdParseError extends InputError {}

export interface LsdAnnounce {
  readonly port: number;
  /** Lower-case hex, 40 digits each. */
  readonly infoHashes: readonly string[];
  readonly cookie?: string;
}

const REQUEST_LINE = 'BT-SEARCH * HTTP/1.1';
const HEX40 = /^[0-9a-fA-F]{40}$/;
/** Bytes of an announce without infohashes, with a generous Host and cookie. */
const OVERHEAD = `${REQUEST_LINE}\r\nHost: [${LSD_GROUP_V6}]:${LSD_PORT}\r\nPort: 65535\r\ncookie: ${'x'.repeat(32)}\r\n\r\n\r\n`.length;
const PER_HASH = 'Infohash: \r\n'.length + 40;

/** How many infohashes fit in one announce under `LSD_MAX_PACKET_BYTES`. */
export const LSD_HASHES_PER_PACKET = Math.floor((LSD_MAX_PACKET_BYTES - OVERHEAD) / PER_HASH);

/** `host` is the group as written in the Host header: `239.192.152.143:6771` or `[ff15::efc0:988f]:6771`. */
export function formatAnnounce(host: string, a: LsdAnnounce): Uint8Array {
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) throw new RangeError(`bad port ${a.port}`);
  const lines = [REQUEST_LINE, `Host: ${host}`, `Port: ${a.port}`];
  for (const h of a.infoHashes) {
    if (!HEX40.test(h)) throw new RangeError(`bad infohash ${h}`);
    lines.push(`Infohash: ${h.toLowerCase()}`);
  }
  if (a.cookie !== undefined) lines.push(`cookie: ${a.cookie}`);
  return new TextEncoder().encode(lines.join('\r\n') + '\r\n\r\n\r\n');
}

export interface ParseLimits {
  /** A datagram longer than this is refused unread (default 1400 + slack: 2048). */
  readonly maxBytes: number;
  /** Infohashes taken from one announce at most; the rest are ignored (default 64). */
  readonly maxInfoHashes: number;
}

export const LSD_PARSE_DEFAULTS: ParseLimits = { maxBytes: 2048, maxInfoHashes: 64 };

/** Parses one datagram. Throws `LsdParseError` for anything that is not a usable announce. */
export function parseAnnounce(data: Uint8Array, limits: ParseLimits = LSD_PARSE_DEFAULTS): LsdAnnounce {
  if (data.length > limits.maxBytes) throw new LsdParseError(`announce of ${data.length} bytes is over ${limits.maxBytes}`);
  // latin1: every byte is one char, so no decoding error can throw.
  let text = '';
  for (let i = 0; i < data.length; i++) text += String.fromCharCode(data[i]);
  const lines = text.split(/\r?\n/);
  if (lines[0].trim() !== REQUEST_LINE) throw new LsdParseError('not a BT-SEARCH announce');
  let port: number | undefined;
  let cookie: string | undefined;
  const hashes: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') break; // end of headers
    const colon = line.indexOf(':');
    if (colon <= 0) throw new LsdParseError(`malformed header line ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'port') {
      if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new LsdParseError(`bad Port ${JSON.stringify(value.slice(0, 20))}`);
      port = Number(value);
    } else if (name === 'infohash') {
      // Other lengths (a future v2 form) are skipped, not fatal.
      if (HEX40.test(value) && hashes.length < limits.maxInfoHashes) hashes.push(value.toLowerCase());
    } else if (name === 'cookie') {
      cookie = value;
    }
  }
  if (port === undefined) throw new LsdParseError('announce without a Port');
  if (hashes.length === 0) throw new LsdParseError('announce without an Infohash');
  return cookie === undefined ? { port, infoHashes: hashes } : { port, infoHashes: hashes, cookie };
}
