/** Pastry's neighbourhood set: the M nodes with the lowest measured round-trip time. */
export class Neighbourhood {
  readonly ids: Float64Array;
  readonly keys: Float64Array;
  readonly rtts: Float64Array;
  count = 0;

  constructor(size: number) {
    const buffer = new Float64Array(3 * size); // one allocation, three views
    this.ids = buffer.subarray(0, size);
    this.keys = buffer.subarray(size, 2 * size);
    this.rtts = buffer.subarray(2 * size);
  }

  consider(id: number, key: number, rtt: number): void {
    if (Number.isNaN(rtt)) return;
    this.remove(key);
    const cap = this.ids.length;
    let at = this.count;
    while (at > 0 && this.rtts[at - 1] > rtt) at--;
    if (at >= cap) return;
    const end = this.count < cap ? this.count : cap - 1;
    for (let i = end; i > at; i--) {
      this.ids[i] = this.ids[i - 1];
      this.keys[i] = this.keys[i - 1];
      this.rtts[i] = this.rtts[i - 1];
    }
    this.ids[at] = id;
    this.keys[at] = key;
    this.rtts[at] = rtt;
    if (this.count < cap) this.count++;
  }

  remove(key: number): void {
    for (let i = 0; i < this.count; i++) {
      if (this.keys[i] !== key) continue;
      for (let j = i; j < this.count - 1; j++) {
        this.ids[j] = this.ids[j + 1];
        this.keys[j] = this.keys[j + 1];
        this.rtts[j] = this.rtts[j + 1];
      }
      this.count--;
      return;
    }
  }
}
