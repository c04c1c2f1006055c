/**
 * What a PEX hub told each recipient, for all its recipients at once: the same diffs as a
 * `PexState` per recipient (src/wire/ut-pex.ts), without a Map per recipient.
 *
 * A `PexState` keeps a Map of what it told (~1.7 KB per connection end in a 300-peer swarm:
 * 10.6% of what survived in a 3,000-peer run). Here each listed key has a small id while it is
 * listed or told to anyone, and a recipient is a row of two typed arrays indexed by id: the
 * flags it was told (+1; 0 = not told) and when it was first told (a per-row counter, for the
 * Map's insertion order, which picks the dropped entries sent first): 3 bytes a cell, in two
 * buffers the collector does not trace.
 */
import type { Address } from '../runtime/types.js';
import { PEX_STATE_DEFAULTS, pexKey, type PexMessage, type PexPeer, type PexStateOptions } from '../wire/index.js';

export class ToldTable {
  private readonly o: Required<PexStateOptions>;
  private readonly idOf = new Map<string, number>();
  /** Per id: the entry listed now (the last under its key), or the last listed while only told. */
  private readonly entryOf: (PexPeer | undefined)[] = [];
  /** Per id: the rows that were told it. */
  private readonly refs: number[] = [];
  /** Per id: the generation at which it was last listed (listed now when it is `generation`). */
  private readonly listedAt: number[] = [];
  private readonly freeIds: number[] = [];
  /** The ids listed now, in the order of the entries (first occurrence of each key). */
  private listed: number[] = [];
  private generation = 0;
  private stride = 16;
  private rowCap = 4;
  /**
   * Row r, id i at r * stride + i: flags told + 1 (0: not told; a hub's flags are at most 0x1f),
   * and when first told (a per-row counter, renumbered in order when it would pass 0xffff).
   */
  private told: Uint8Array<ArrayBuffer> = new Uint8Array(this.rowCap * this.stride);
  private seq: Uint16Array<ArrayBuffer> = new Uint16Array(this.rowCap * this.stride);
  private readonly rowSeq: number[] = [];
  private readonly freeRows: number[] = [];

  constructor(options?: PexStateOptions) {
    this.o = { ...PEX_STATE_DEFAULTS, ...options };
  }

  get intervalMs(): number {
    return this.o.intervalMs;
  }

  /** Ids in use (listed, or told to a recipient and not yet dropped). */
  get ids(): number {
    return this.idOf.size;
  }

  /** The entries listed now, in order; a later entry under the same key wins (as `Map.set`). */
  setEntries(entries: readonly PexPeer[]): void {
    const before = this.listed;
    const gen = ++this.generation;
    const listed: number[] = [];
    for (const e of entries) {
      if (!(e.flags >= 0 && e.flags <= 0xfe)) throw new RangeError(`pex: flags ${e.flags} do not fit a told cell`);
      const id = this.idFor(e);
      if (this.listedAt[id] !== gen) {
        this.listedAt[id] = gen;
        listed.push(id);
      }
      this.entryOf[id] = e;
    }
    this.listed = listed;
    for (const id of before) if (this.listedAt[id] !== gen && this.refs[id] === 0) this.freeId(id);
  }

  /** A row for a new recipient. */
  newRow(): number {
    const r = this.freeRows.pop() ?? this.rowSeq.length;
    if (r >= this.rowCap) this.resize(this.rowCap * 2, this.stride);
    this.rowSeq[r] = 0;
    return r;
  }

  /** A recipient left: what it was told is forgotten. */
  releaseRow(r: number): void {
    const base = r * this.stride;
    for (let id = 0; id < this.entryOf.length; id++) if (this.told[base + id] !== 0) this.untell(base, id);
    this.freeRows.push(r);
  }

  /**
   * `PexState.pollKeyed` for row `r`: the added entries (listed, not told with these flags) and
   * the dropped (told, and no longer listed or the recipient's own `skipA`/`skipB` key), each
   * at most the per-message cap, in the same order; what is sent counts as told.
   */
  diff(r: number, skipA: string | undefined, skipB: string | undefined): PexMessage | undefined {
    const sa = skipA === undefined ? -1 : this.idOf.get(skipA) ?? -1;
    const sb = skipB === undefined ? -1 : this.idOf.get(skipB) ?? -1;
    const base = r * this.stride, told = this.told, gen = this.generation;
    const added: PexPeer[] = [];
    let addedIds: number[] | undefined;
    for (const id of this.listed) {
      if (added.length >= this.o.maxAdded) break;
      if (id === sa || id === sb) continue;
      // A peer told with other flags goes out again (as in PexState).
      const e = this.entryOf[id] as PexPeer;
      if (told[base + id] !== e.flags + 1) {
        added.push(e);
        (addedIds ??= []).push(id);
      }
    }
    let gone: number[] | undefined;
    if (this.o.maxDropped > 0) {
      for (let id = 0; id < this.entryOf.length; id++) {
        if (told[base + id] !== 0 && (id === sa || id === sb || this.listedAt[id] !== gen)) (gone ??= []).push(id);
      }
    }
    if (added.length === 0 && gone === undefined) return undefined;
    const dropped: Address[] = [];
    if (gone !== undefined) {
      // The Map's order: first told first.
      const seq = this.seq;
      if (gone.length > 1) gone.sort((a, b) => seq[base + a] - seq[base + b]);
      if (gone.length > this.o.maxDropped) gone.length = this.o.maxDropped;
      for (const id of gone) {
        const e = this.entryOf[id] as PexPeer;
        dropped.push({ host: e.host, port: e.port });
      }
    }
    if (addedIds !== undefined) {
      for (let i = 0; i < addedIds.length; i++) {
        const id = addedIds[i];
        if (told[base + id] === 0) {
          if (this.rowSeq[r] === 0xffff) this.renumber(r);
          this.seq[base + id] = ++this.rowSeq[r];
          this.refs[id]++;
        }
        told[base + id] = added[i].flags + 1;
      }
    }
    if (gone !== undefined) for (const id of gone) this.untell(base, id);
    return { added, dropped };
  }

  /** Row `r`'s counter is spent: its told ids get 1..n in the same order. */
  private renumber(r: number): void {
    const base = r * this.stride, seq = this.seq;
    const ids: number[] = [];
    for (let id = 0; id < this.entryOf.length; id++) if (this.told[base + id] !== 0) ids.push(id);
    ids.sort((a, b) => seq[base + a] - seq[base + b]);
    for (let i = 0; i < ids.length; i++) seq[base + ids[i]] = i + 1;
    this.rowSeq[r] = ids.length;
  }

  private untell(base: number, id: number): void {
    this.told[base + id] = 0;
    if (--this.refs[id] === 0 && this.listedAt[id] !== this.generation) this.freeId(id);
  }

  private idFor(e: PexPeer): number {
    const k = pexKey(e);
    let id = this.idOf.get(k);
    if (id !== undefined) return id;
    id = this.freeIds.pop() ?? this.entryOf.length;
    if (id >= this.stride) this.resize(this.rowCap, this.stride * 2);
    this.idOf.set(k, id);
    this.entryOf[id] = e;
    this.refs[id] = 0;
    this.listedAt[id] = 0;
    return id;
  }

  /** No row was told `id` and it is not listed: its key goes (its column is all zero). */
  private freeId(id: number): void {
    this.idOf.delete(pexKey(this.entryOf[id] as PexPeer));
    this.entryOf[id] = undefined;
    this.freeIds.push(id);
  }

  private resize(rowCap: number, stride: number): void {
    const told = new Uint8Array(rowCap * stride), seq = new Uint16Array(rowCap * stride);
    for (let r = 0; r < this.rowSeq.length; r++) {
      told.set(this.told.subarray(r * this.stride, (r + 1) * this.stride), r * stride);
      seq.set(this.seq.subarray(r * this.stride, (r + 1) * this.stride), r * stride);
    }
    this.told = told;
    this.seq = seq;
    this.rowCap = rowCap;
    this.stride = stride;
  }
}
