/**
 * NAT-PMP (RFC 6886) messages, both directions. Every message is fixed-size; decoders check
 * lengths and throw `NatProtocolError`. Integers are big-endian (network order).
 */
import { NatProtocolError } from './errors.js';

/** RFC 6886 §1.1: the gateway listens on UDP 5351. */
export const NATPMP_PORT = 5351;
export const NATPMP_VERSION = 0;
/** Opcodes (RFC 6886 §3.2, §3.3); a response carries 128 + the request's opcode. */
export const OP_EXTERNAL_ADDRESS = 0;
export const OP_MAP_UDP = 1;
export const OP_MAP_TCP = 2;
export const RESPONSE_BIT = 128;

/** Result codes (RFC 6886 §3.5). */
export const NATPMP_RESULT = {
  success: 0,
  unsupportedVersion: 1,
  notAuthorized: 2,
  networkFailure: 3,
  outOfResources: 4,
  unsupportedOpcode: 5,
} as const;

const RESULT_TEXT: Record<number, string> = {
  0: 'success',
  1: 'unsupported version',
  2: 'not authorized / refused',
  3: 'network failure',
  4: 'out of resources',
  5: 'unsupported opcode',
};

export function natpmpResultText(code: number): string {
  return RESULT_TEXT[code] ?? `result code ${code}`;
}

export type NatProtocol = 'tcp' | 'udp';

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** RFC 6886 §3.2: the 2-byte external address request. */
export function encodeExternalAddressRequest(): Uint8Array {
  return Uint8Array.of(NATPMP_VERSION, OP_EXTERNAL_ADDRESS);
}

export interface NatPmpMapRequest {
  readonly protocol: NatProtocol;
  readonly internalPort: number;
  /** 0: no preference. */
  readonly suggestedExternalPort: number;
  /** Seconds; 0 deletes the mapping (RFC 6886 §3.4). */
  readonly lifetime: number;
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`${what} ${p} is not a port number`);
}

/** RFC 6886 §3.3: the 12-byte mapping request. */
export function encodeMapRequest(r: NatPmpMapRequest): Uint8Array {
  checkPort(r.internalPort, 'internal port');
  checkPort(r.suggestedExternalPort, 'external port');
  if (!Number.isInteger(r.lifetime) || r.lifetime < 0 || r.lifetime > 0xffffffff) throw new RangeError(`lifetime ${r.lifetime} is out of range`);
  const b = new Uint8Array(12);
  const v = view(b);
  b[0] = NATPMP_VERSION;
  b[1] = r.protocol === 'udp' ? OP_MAP_UDP : OP_MAP_TCP;
  v.setUint16(4, r.internalPort);
  v.setUint16(6, r.suggestedExternalPort);
  v.setUint32(8, r.lifetime);
  return b;
}

export type NatPmpResponse =
  | { readonly kind: 'external-address'; readonly result: number; readonly epoch: number; readonly externalAddress: string }
  | {
    readonly kind: 'map';
    readonly protocol: NatProtocol;
    readonly result: number;
    readonly epoch: number;
    readonly internalPort: number;
    readonly externalPort: number;
    readonly lifetime: number;
  }
  /** An error answer too short to carry the body (e.g. to a request of an unknown version). */
  | { readonly kind: 'error'; readonly opcode: number; readonly result: number; readonly epoch: number };

/**
 * Decodes a NAT-PMP response. RFC 6886 §3.5: an error response may be cut short after the
 * epoch (8 bytes); a success must carry the full body. Trailing bytes are ignored, as the
 * RFC asks of clients.
 */
export function decodeNatPmpResponse(b: Uint8Array): NatPmpResponse {
  if (b.length < 8) throw new NatProtocolError(`NAT-PMP response of ${b.length} bytes is shorter than its 8-byte header`);
  if (b[0] !== NATPMP_VERSION) throw new NatProtocolError(`NAT-PMP response has version ${b[0]}, not 0`);
  const op = b[1];
  if (op < RESPONSE_BIT) throw new NatProtocolError(`NAT-PMP message with opcode ${op} is a request, not a response`);
  const v = view(b);
  const result = v.getUint16(2);
  const epoch = v.getUint32(4);
  const opcode = op - RESPONSE_BIT;
  if (opcode === OP_EXTERNAL_ADDRESS && b.length >= 12) {
    const externalAddress = `${b[8]}.${b[9]}.${b[10]}.${b[11]}`;
    return { kind: 'external-address', result, epoch, externalAddress };
  }
  if ((opcode === OP_MAP_UDP || opcode === OP_MAP_TCP) && b.length >= 16) {
    return {
      kind: 'map',
      protocol: opcode === OP_MAP_UDP ? 'udp' : 'tcp',
      result,
      epoch,
      internalPort: v.getUint16(8),
      externalPort: v.getUint16(10),
      lifetime: v.getUint32(12),
    };
  }
  if (result !== NATPMP_RESULT.success) return { kind: 'error', opcode, result, epoch };
  throw new NatProtocolError(`NAT-PMP response to opcode ${opcode} is truncated (${b.length} bytes) or of an unknown opcode`);
}
