/**
 * The gateway's side of NAT-PMP (RFC 6886) for the simulator's NAT gateways: a request's
 * bytes in, a response's bytes out, so Shoal's real port mapper (src/nat/port-mapper.ts)
 * can be run against a simulated router. PCP (RFC 6887) is not spoken: a version 2 request
 * gets NAT-PMP's UNSUPP_VERSION, as RFC 6887 §9 asks of a NAT-PMP-only server, and the
 * client falls back.
 */
import { NATPMP_RESULT, NATPMP_VERSION, OP_EXTERNAL_ADDRESS, OP_MAP_TCP, OP_MAP_UDP, RESPONSE_BIT } from '../nat/natpmp-codec.js';

export type PmpProtocol = 'udp' | 'tcp';

/** What the server asks of its NAT. */
export interface PmpNat {
  readonly publicAddress: string;
  /** Seconds since the NAT's mapping table was created (RFC 6886 §3.6 epoch). */
  epochSeconds(): number;
  /** Maps (lifetime > 0) or deletes (lifetime 0) a port forward; returns the external port, or -1 when none is free. */
  forward(protocol: PmpProtocol, internalPort: number, suggestedPort: number, lifetimeS: number): number;
}

/** Longest lease the simulated router grants, s (routers commonly cap leases; RFC 6886 §3.3 suggests 7200 s for requests). */
export const PMP_MAX_LIFETIME_S = 7200;

/** Answers one request; undefined for what a server ignores (responses, fragments). */
export function answerNatPmp(nat: PmpNat, req: Uint8Array): Uint8Array | undefined {
  if (req.length < 2 || req[1] >= RESPONSE_BIT) return undefined;
  const op = req[1];
  if (req[0] !== NATPMP_VERSION) return header(op, NATPMP_RESULT.unsupportedVersion, nat, 8);
  if (op === OP_EXTERNAL_ADDRESS) {
    const out = header(op, NATPMP_RESULT.success, nat, 12);
    const parts = nat.publicAddress.split('.').map(Number);
    out.set(parts, 8);
    return out;
  }
  if (op !== OP_MAP_UDP && op !== OP_MAP_TCP) return header(op, NATPMP_RESULT.unsupportedOpcode, nat, 8);
  if (req.length < 12) return undefined;
  const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
  const internalPort = v.getUint16(4);
  const suggested = v.getUint16(6);
  const lifetime = Math.min(v.getUint32(8), PMP_MAX_LIFETIME_S);
  const external = nat.forward(op === OP_MAP_UDP ? 'udp' : 'tcp', internalPort, suggested, lifetime);
  if (external < 0) return header(op, NATPMP_RESULT.outOfResources, nat, 8);
  const out = header(op, NATPMP_RESULT.success, nat, 16);
  const o = new DataView(out.buffer);
  o.setUint16(8, internalPort);
  o.setUint16(10, lifetime === 0 ? 0 : external);
  o.setUint32(12, lifetime);
  return out;
}

function header(op: number, result: number, nat: PmpNat, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  out[0] = NATPMP_VERSION;
  out[1] = op | RESPONSE_BIT;
  v.setUint16(2, result);
  v.setUint32(4, nat.epochSeconds() >>> 0);
  return out;
}
