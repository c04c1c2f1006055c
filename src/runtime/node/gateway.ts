/**
 * Finds the IPv4 default gateway (for NAT-PMP / PCP, src/nat/) and our address on its link,
 * from Linux's /proc/net/route. Elsewhere, or without a default route, it finds nothing and
 * port mapping stays quiet.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export interface DefaultGateway {
  /** The gateway's IPv4 address. */
  readonly gateway: string;
  readonly interface: string;
  /** Our IPv4 address on that interface, when it has one. */
  readonly localAddress?: string;
}

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;

/** /proc/net/route holds addresses as 8 hex digits in host (little-endian on x86/ARM) order. */
function hexToIpv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

/** The default routes in a /proc/net/route text, lowest metric first. */
export function parseDefaultRoutes(text: string): { gateway: string; interface: string; metric: number }[] {
  const out: { gateway: string; interface: string; metric: number }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flagsHex, , , metricText, mask] = f;
    const flags = parseInt(flagsHex, 16);
    if (dest !== '00000000' || mask !== '00000000' || !(flags & RTF_UP) || !(flags & RTF_GATEWAY)) continue;
    const gateway = hexToIpv4(gw);
    if (!gateway || gateway === '0.0.0.0') continue;
    out.push({ gateway, interface: iface, metric: Number(metricText) || 0 });
  }
  return out.sort((a, b) => a.metric - b.metric);
}

/** The preferred default gateway, or undefined where there is none (or no /proc). */
export function findDefaultGateway(routeFile = '/proc/net/route'): DefaultGateway | undefined {
  let text: string;
  try {
    text = readFileSync(routeFile, 'utf8');
  } catch {
    return undefined;
  }
  const best = parseDefaultRoutes(text)[0];
  if (!best) return undefined;
  const local = (networkInterfaces()[best.interface] ?? []).find((a) => a.family === 'IPv4' && !a.internal);
  return { gateway: best.gateway, interface: best.interface, localAddress: local?.address };
}
