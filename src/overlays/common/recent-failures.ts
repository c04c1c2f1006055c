/**
 * Nodes that recently failed to answer, remembered for a while so that stale state from
 * other nodes (a leaf set or successor list still naming them) does not bring them back
 * at once: re-learning a dead node costs a timeout each time.
 */
export class RecentFailures {
  private readonly keys: Float64Array;
  private readonly times: Float64Array;
  private next = 0;
  private readonly ttlMs: number;

  constructor(size: number, ttlMs: number) {
    const buffer = new Float64Array(2 * size); // one allocation, two views
    this.keys = buffer.subarray(0, size).fill(-1);
    this.times = buffer.subarray(size);
    this.ttlMs = ttlMs;
  }

  add(key: number, now: number): void {
    this.keys[this.next] = key;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.keys.length;
  }

  has(key: number, now: number): boolean {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key && now - this.times[i] < this.ttlMs) return true;
    return false;
  }

  /** Forgets a key (it answered after all). */
  clear(key: number): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) keys[i] = -1;
  }
}
