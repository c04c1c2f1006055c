/**
 * Per-host link state, struct-of-arrays, indexed by host id. The datagram hot path reads
 * and writes these for two random hosts per packet; dense typed arrays keep that in cache
 * where fields spread over thousands of host objects would not be.
 */
export class LinkTable {
  /** 1 while the host is online. */
  online: Uint8Array;
  /** Serialization cost, ms per byte (0 = unlimited). */
  upRate: Float64Array;
  downRate: Float64Array;
  /** Virtual time at which each link is next free. */
  upBusy: Float64Array;
  downBusy: Float64Array;
  private capacity: number;

  constructor(capacity = 64) {
    this.capacity = capacity;
    this.online = new Uint8Array(capacity);
    this.upRate = new Float64Array(capacity);
    this.downRate = new Float64Array(capacity);
    this.upBusy = new Float64Array(capacity);
    this.downBusy = new Float64Array(capacity);
  }

  /** Makes room for host `id` (ids are dense, in creation order). */
  ensure(id: number): void {
    if (id < this.capacity) return;
    let cap = this.capacity * 2;
    while (cap <= id) cap *= 2;
    this.capacity = cap;
    this.online = grow(this.online, new Uint8Array(cap));
    this.upRate = grow(this.upRate, new Float64Array(cap));
    this.downRate = grow(this.downRate, new Float64Array(cap));
    this.upBusy = grow(this.upBusy, new Float64Array(cap));
    this.downBusy = grow(this.downBusy, new Float64Array(cap));
  }
}

function grow<T extends Uint8Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
