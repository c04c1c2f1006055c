/**
 * A map whose entries live between one and two periods, with no timers: two generations
 * that rotate when touched. Used for duplicate suppression and reverse paths (a query's
 * guid -> the neighbour it came from), where an exact expiry time does not matter.
 */
export class AgingMap<V> {
  private current = new Map<number, V>();
  private previous = new Map<number, V>();
  private rotatedAt: number;
  private readonly periodMs: number;

  constructor(periodMs: number, now: number) {
    this.periodMs = periodMs;
    this.rotatedAt = now;
  }

  get(key: number, now: number): V | undefined {
    this.rotate(now);
    const v = this.current.get(key);
    return v !== undefined ? v : this.previous.get(key);
  }

  has(key: number, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  set(key: number, value: V, now: number): void {
    this.rotate(now);
    this.current.set(key, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  private rotate(now: number): void {
    const age = now - this.rotatedAt;
    if (age < this.periodMs) return;
    if (age >= 2 * this.periodMs) this.previous = new Map();
    else this.previous = this.current;
    this.current = new Map();
    this.rotatedAt = now;
  }
}
