/**
 * PCP (RFC 6887) MAP requests and responses, IPv4 only. Addresses travel as 16 bytes,
 * IPv4-mapped (::ffff:a.b.c.d). Decoders check lengths and throw `NatProtocolError`;
 * options after the MAP payload are skipped (bounded by `PCP_MAX_MESSAGE_BYTES`).
 */
import { NatProtocolError } from './errors.js';
import { ipv4Bytes, isIPv4 } from '../util/compact-address.js';
import type { NatProtocol } from './natpmp-codec.js';

export const PCP_VERSION = 2;
export const PCP_OPCODE_MAP = 1;
/** RFC 6887 §7: a PCP message is at most 1100 bytes. */
export const PCP_MAX_MESSAGE_BYTES = 1100;
export const PCP_NONCE_BYTES = 12;
const HEADER_BYTES = 24;
const MAP_BYTES = 36;
const IANA_TCP = 6;
const IANA_UDP = 17;

/** Result codes (RFC 6887 §7.4). */
export const PCP_RESULT = {
  success: 0,
  unsupportedVersion: 1,
  notAuthorized: 2,
  malformedRequest: 3,
  unsupportedOpcode: 4,
  unsupportedOption: 5,
  malformedOption: 6,
  networkFailure: 7,
  noResources: 8,
  unsupportedProtocol: 9,
  userExceededQuota: 10,
  cannotProvideExternal: 11,
  addressMismatch: 12,
  excessiveRemotePeers: 13,
} as const;

const RESULT_TEXT = [
  'success', 'unsupported version', 'not authorized', 'malformed request', 'unsupported opcode',
  'unsupported option', 'malformed option', 'network failure', 'no resources', 'unsupported protocol',
  'user exceeded quota', 'cannot provide external', 'address mismatch', 'excessive remote peers',
];

export function pcpResultText(code: number): string {
  return RESULT_TEXT[code] ?? `result code ${code}`;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Writes `ip` (dotted IPv4, read by the one strict parser: no leading zeros) as ::ffff:a.b.c.d at `b[off..off+16]`. */
function writeMappedIpv4(b: Uint8Array, off: number, ip: string): void {
  const v4 = isIPv4(ip) ? ipv4Bytes(ip) : undefined;
  if (!v4) throw new RangeError(`${ip} is not an IPv4 address`);
  b[off + 10] = 0xff;
  b[off + 11] = 0xff;
  b.set(v4, off + 12);
}

/** Reads a 16-byte address; IPv4-mapped ones come back dotted, others as full IPv6 hex groups. */
function readAddress(b: Uint8Array, off: number): string {
  let mapped = b[off + 10] === 0xff && b[off + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[off + i] !== 0) mapped = false;
  if (mapped) return `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  const v = view(b);
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(v.getUint16(off + 2 * i).toString(16));
  return groups.join(':');
}

export interface PcpMapRequest {
  /** Our address as the gateway sees it (RFC 6887 §8.1: a mismatch is ADDRESS_MISMATCH). */
  readonly clientAddress: string;
  readonly nonce: Uint8Array;
  readonly protocol: NatProtocol;
  readonly internalPort: number;
  /** 0: no preference. */
  readonly suggestedExternalPort: number;
  /** Seconds; 0 deletes the mapping (RFC 6887 §15). */
  readonly lifetime: number;
}

/** RFC 6887 §7.1 header + §11.1 MAP opcode: a 60-byte request. */
export function encodePcpMapRequest(r: PcpMapRequest): Uint8Array {
  if (r.nonce.length !== PCP_NONCE_BYTES) throw new RangeError(`a PCP nonce is ${PCP_NONCE_BYTES} bytes`);
  if (!Number.isInteger(r.lifetime) || r.lifetime < 0 || r.lifetime > 0xffffffff) throw new RangeError(`lifetime ${r.lifetime} is out of range`);
  for (const p of [r.internalPort, r.suggestedExternalPort]) {
    if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`${p} is not a port number`);
  }
  const b = new Uint8Array(HEADER_BYTES + MAP_BYTES);
  const v = view(b);
  b[0] = PCP_VERSION;
  b[1] = PCP_OPCODE_MAP; // R bit 0: request
  v.setUint32(4, r.lifetime);
  writeMappedIpv4(b, 8, r.clientAddress);
  b.set(r.nonce, HEADER_BYTES);
  b[HEADER_BYTES + 12] = r.protocol === 'tcp' ? IANA_TCP : IANA_UDP;
  v.setUint16(HEADER_BYTES + 16, r.internalPort);
  v.setUint16(HEADER_BYTES + 18, r.suggestedExternalPort);
  // Suggested external address: ::ffff:0.0.0.0, "any IPv4 address" (RFC 6887 §11.1).
  writeMappedIpv4(b, HEADER_BYTES + 20, '0.0.0.0');
  return b;
}

export interface PcpResponse {
  readonly opcode: number;
  readonly result: number;
  /** Seconds granted (on success), or how long the error holds (RFC 6887 §7.2). */
  readonly lifetime: number;
  readonly epoch: number;
  /** Present for a MAP response long enough to carry the MAP payload. */
  readonly map?: {
    readonly nonce: Uint8Array;
    readonly protocol: NatProtocol | number;
    readonly internalPort: number;
    readonly externalPort: number;
    readonly externalAddress: string;
  };
}

/** Decodes a PCP response (RFC 6887 §7.2, §11.1). */
export function decodePcpResponse(b: Uint8Array): PcpResponse {
  if (b.length > PCP_MAX_MESSAGE_BYTES) throw new NatProtocolError(`PCP message of ${b.length} bytes exceeds ${PCP_MAX_MESSAGE_BYTES}`);
  if (b.length < HEADER_BYTES) throw new NatProtocolError(`PCP response of ${b.length} bytes is shorter than its 24-byte header`);
  if (b[0] !== PCP_VERSION) throw new NatProtocolError(`PCP response has version ${b[0]}, not 2`);
  if ((b[1] & 0x80) === 0) throw new NatProtocolError('PCP message is a request, not a response');
  if (b.length % 4 !== 0) throw new NatProtocolError(`PCP response length ${b.length} is not a multiple of 4`);
  const v = view(b);
  const opcode = b[1] & 0x7f;
  const result = b[3];
  const lifetime = v.getUint32(4);
  const epoch = v.getUint32(8);
  if (opcode !== PCP_OPCODE_MAP || b.length < HEADER_BYTES + MAP_BYTES) {
    if (opcode === PCP_OPCODE_MAP && result === PCP_RESULT.success) {
      throw new NatProtocolError(`PCP MAP success of ${b.length} bytes lacks its 36-byte payload`);
    }
    return { opcode, result, lifetime, epoch };
  }
  const o = HEADER_BYTES;
  const proto = b[o + 12];
  return {
    opcode, result, lifetime, epoch,
    map: {
      nonce: b.slice(o, o + PCP_NONCE_BYTES),
      protocol: proto === IANA_TCP ? 'tcp' : proto === IANA_UDP ? 'udp' : proto,
      internalPort: v.getUint16(o + 16),
      externalPort: v.getUint16(o + 18),
      externalAddress: readAddress(b, o + 20),
    },
  };
}
