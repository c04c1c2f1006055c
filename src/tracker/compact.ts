/** Compact peer lists: BEP 23 (6 bytes per IPv4 peer) and BEP 7 (18 bytes per IPv6 peer). */
import { isIP } from 'node:net';
import type { Address } from '../runtime/types.js';

export function decodeCompact4(b: Uint8Array, out: Address[] = []): Address[] {
  for (let i = 0; i + 6 <= b.length; i += 6) {
    const port = (b[i + 4] << 8) | b[i + 5];
    if (port === 0) continue;
    out.push({ host: `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`, port });
  }
  return out;
}

export function decodeCompact6(b: Uint8Array, out: Address[] = []): Address[] {
  for (let i = 0; i + 18 <= b.length; i += 18) {
    const groups: string[] = [];
    for (let g = 0; g < 8; g++) groups.push(((b[i + 2 * g] << 8) | b[i + 2 * g + 1]).toString(16));
    const port = (b[i + 16] << 8) | b[i + 17];
    if (port === 0) continue;
    out.push({ host: compressV6(groups.join(':')), port });
  }
  return out;
}

/** Canonical short IPv6 text (the longest zero run as ::). */
export function compressV6(full: string): string {
  const parts = full.split(':');
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < parts.length; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < parts.length && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return parts.join(':');
  return `${parts.slice(0, bestStart).join(':')}::${parts.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Writes the address bytes of an IP literal into `out` at 0: 4 for IPv4 (also
 * `::ffff:a.b.c.d`), 16 for IPv6. Returns how many, 0 when `host` is not an IP literal.
 */
export function ipInto(host: string, out: Uint8Array): 0 | 4 | 16 {
  if (parseDottedQuad(host, out)) return 4;
  const ip = ipv4Bytes(host) ?? ipv6Bytes(host);
  if (!ip) return 0;
  out.set(ip);
  return ip.length === 4 ? 4 : 16;
}

/** 4 bytes for an IPv4 literal (also `::ffff:a.b.c.d`), else undefined. */
export function ipv4Bytes(host: string): Uint8Array | undefined {
  const fast = new Uint8Array(4);
  if (parseDottedQuad(host, fast)) return fast;
  const h = host.startsWith('::ffff:') && isIP(host.slice(7)) === 4 ? host.slice(7) : host;
  if (isIP(h) !== 4) return undefined;
  return Uint8Array.from(h.split('.').map(Number));
}

/** 16 bytes for an IPv6 literal, else undefined. */
export function ipv6Bytes(host: string): Uint8Array | undefined {
  if (isIP(host) !== 6) return undefined;
  let h = host;
  const out = new Uint8Array(16);
  // A trailing dotted quad.
  const dq = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  let tail: number[] = [];
  if (dq) {
    const v4 = dq[1].split('.').map(Number);
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    h = h.slice(0, h.length - dq[1].length) + '0:0';
  }
  const [head, rest] = h.includes('::') ? h.split('::') : [h, undefined];
  const hg = head ? head.split(':') : [];
  const rg = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? hg : [...hg, ...Array<string>(8 - hg.length - rg.length).fill('0'), ...rg];
  const nums = groups.map((g) => parseInt(g, 16));
  if (tail.length) nums.splice(6, 2, ...tail);
  nums.forEach((n, i) => {
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

export function encodeCompact(peers: readonly Address[], family: 4 | 6): Uint8Array {
  const size = family === 4 ? 6 : 18;
  const out = new Uint8Array(peers.length * size);
  let o = 0;
  for (const p of peers) {
    const ip = family === 4 ? ipv4Bytes(p.host) : ipv6Bytes(p.host);
    if (!ip) continue;
    out.set(ip, o);
    out[o + size - 2] = p.port >> 8;
    out[o + size - 1] = p.port & 0xff;
    o += size;
  }
  return out.subarray(0, o);
}

/** A strict a.b.c.d parser into `out[0..4)`, allocating nothing (the tracker hot path). */
function parseDottedQuad(s: string, out: Uint8Array): boolean {
  let part = 0;
  let val = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part === 3) return false;
      out[part++] = val;
      val = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      val = val * 10 + (c - 48);
      if (++digits > 3 || val > 255) return false;
    } else return false;
  }
  if (part !== 3 || digits === 0) return false;
  out[3] = val;
  return true;
}
