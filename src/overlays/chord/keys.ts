/** The keys a Chord node is responsible for (a small map, created on first use). */
export class ChordKeyStore {
  private map: Map<number, Uint8Array> | null = null;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.map?.size ?? 0;
  }

  get(key: number): Uint8Array | null {
    return this.map?.get(key) ?? null;
  }

  /** Stores a value; beyond the limit new keys are dropped (existing ones are updated). */
  set(key: number, value: Uint8Array): boolean {
    const map = (this.map ??= new Map());
    if (!map.has(key) && map.size >= this.max) return false;
    map.set(key, value.slice());
    return true;
  }

  entries(): [number, Uint8Array][] {
    return this.map === null ? [] : [...this.map.entries()];
  }

  /** Removes and returns the entries whose key matches. */
  take(match: (key: number) => boolean): [number, Uint8Array][] {
    const out: [number, Uint8Array][] = [];
    if (this.map === null) return out;
    for (const [k, v] of this.map) if (match(k)) out.push([k, v]);
    for (const [k] of out) this.map.delete(k);
    return out;
  }

  has(key: number): boolean {
    return this.map?.has(key) ?? false;
  }
}
