/**
 * How many peer entries each source holds, for the tracker's per-source cap. A source is an
 * IPv4 address or an IPv6 /64 (one host usually holds a whole /64).
 *
 * IPv4 keys stay small integers V8 stores unboxed (31-bit): the address shifted right by one,
 * in one of two maps picked by its lowest bit. A plain uint32 key would box every address at
 * or above 64.0.0.0 as a heap number, a million of them for a million sources.
 */

/** An IPv6 source is its /64: the first 8 bytes of the address. */
const IPV6_SOURCE_BYTES = 8;

export class SourceCounts {
  private readonly v4 = [new Map<number, number>(), new Map<number, number>()] as const;
  private readonly v6 = new Map<string, number>();

  /** Sources holding at least one entry. */
  get size(): number {
    return this.v4[0].size + this.v4[1].size + this.v6.size;
  }

  /** Entries held by the source of the address of `ipLen` bytes at `b[off..]`. */
  get(b: Uint8Array, off: number, ipLen: 4 | 16): number {
    if (ipLen === 4) {
      const a = word(b, off);
      return this.v4[a & 1].get(a >> 1) ?? 0;
    }
    return this.v6.get(key6(b, off)) ?? 0;
  }

  /** Adds `delta` (+1 or -1) to that source's count; a count reaching 0 is forgotten. */
  add(b: Uint8Array, off: number, ipLen: 4 | 16, delta: 1 | -1): void {
    if (ipLen === 4) {
      const a = word(b, off);
      bump(this.v4[a & 1], a >> 1, delta);
    } else bump(this.v6, key6(b, off), delta);
  }
}

function bump<K>(m: Map<K, number>, k: K, delta: 1 | -1): void {
  const n = (m.get(k) ?? 0) + delta;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}

function word(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function key6(b: Uint8Array, off: number): string {
  return Buffer.from(b.buffer, b.byteOffset + off, IPV6_SOURCE_BYTES).toString('hex');
}
