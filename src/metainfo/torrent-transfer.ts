/**
 * A parsed `Torrent` as a few flat arrays, for handing it from a worker thread to the main
 * one: the structured clone of 700,000 file objects took 1.3 s of the receiving thread to
 * rebuild (v8 deserialize), these columns about a quarter of that. Pure: no I/O, no threads.
 */
import { PieceLayout, type TorrentFile } from './layout.js';
import type { Torrent } from './torrent.js';

export interface TorrentColumns {
  /** The torrent minus its layout: small values, cloned as they are. */
  readonly head: Omit<Torrent, 'layout'>;
  /** Every path component of every file, concatenated; `componentLengths` cuts it up. */
  readonly text: string;
  /** Per file: how many path components it has. */
  readonly componentCounts: Uint32Array;
  /** Per component, in file order: its length in UTF-16 code units. */
  readonly componentLengths: Uint32Array;
  readonly lengths: Float64Array;
  /** Per file: 1 for a BEP 47 pad file. */
  readonly pads: Uint8Array;
  /** The rare per-file extras, by file index: a non-empty `attr`, a `rawPath`, a v2 `piecesRoot`. */
  readonly attrs: ReadonlyArray<readonly [number, string]>;
  readonly rawPaths: ReadonlyArray<readonly [number, readonly string[]]>;
  readonly roots: ReadonlyArray<readonly [number, Uint8Array]>;
  /** What were Node Buffers (a clone gives back plain Uint8Arrays): head fields, roots, piece layers. */
  readonly buffers: { readonly head: readonly string[]; readonly roots: boolean; readonly layers: boolean };
}

const HEAD_BYTES = ['infoHashV1', 'infoHashV2', 'pieces', 'infoBytes'] as const;
const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

export function toColumns(t: Torrent): TorrentColumns {
  const files = t.layout.files;
  const componentCounts = new Uint32Array(files.length);
  const lengths = new Float64Array(files.length);
  const pads = new Uint8Array(files.length);
  let components = 0;
  for (const f of files) components += f.path.length;
  const componentLengths = new Uint32Array(components);
  const parts: string[] = new Array(components);
  const attrs: [number, string][] = [];
  const rawPaths: [number, readonly string[]][] = [];
  const roots: [number, Uint8Array][] = [];
  let c = 0;
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    componentCounts[i] = f.path.length;
    for (const p of f.path) {
      componentLengths[c] = p.length;
      parts[c++] = p;
    }
    lengths[i] = f.length;
    pads[i] = f.pad ? 1 : 0;
    if (f.attr !== '') attrs.push([i, f.attr]);
    if (f.rawPath) rawPaths.push([i, f.rawPath]);
    if (f.piecesRoot) roots.push([i, f.piecesRoot]);
  }
  const { layout: _layout, ...head } = t;
  const buffers = {
    head: HEAD_BYTES.filter((k) => Buffer.isBuffer(t[k])),
    roots: roots.length > 0 && Buffer.isBuffer(roots[0][1]),
    layers: [...t.pieceLayers.values()].some((l) => Buffer.isBuffer(l)),
  };
  return { head, text: parts.join(''), componentCounts, componentLengths, lengths, pads, attrs, rawPaths, roots, buffers };
}

/**
 * Rebuilds the `Torrent` `toColumns` was given, offsets recomputed (files lie end to end, BEP 3),
 * a slice of files per `step` so that a caller on an event loop can yield between slices.
 */
export class ColumnsReader {
  private readonly files: TorrentFile[];
  private readonly attrs: Map<number, string>;
  private readonly rawPaths: Map<number, readonly string[]>;
  private readonly roots: Map<number, Uint8Array>;
  private i = 0;
  private at = 0;
  private comp = 0;
  private offset = 0;

  constructor(private readonly c: TorrentColumns) {
    this.files = new Array(c.componentCounts.length);
    this.attrs = new Map(c.attrs);
    this.rawPaths = new Map(c.rawPaths);
    this.roots = new Map(c.buffers.roots ? c.roots.map(([i, r]) => [i, asBuffer(r)]) : c.roots);
  }

  /** Rebuilds up to `maxFiles` more files; true when all are done. */
  step(maxFiles: number): boolean {
    const c = this.c;
    const end = Math.min(this.files.length, this.i + maxFiles);
    for (; this.i < end; this.i++) {
      const i = this.i;
      const count = c.componentCounts[i];
      const path: string[] = new Array(count);
      for (let k = 0; k < count; k++) {
        const len = c.componentLengths[this.comp++];
        path[k] = c.text.slice(this.at, this.at + len);
        this.at += len;
      }
      const length = c.lengths[i];
      const rawPath = this.rawPaths.get(i), piecesRoot = this.roots.get(i);
      const base = { path, length, offset: this.offset, pad: c.pads[i] === 1, attr: this.attrs.get(i) ?? '' };
      this.files[i] = rawPath === undefined && piecesRoot === undefined ? base
        : { ...base, ...(rawPath ? { rawPath } : {}), ...(piecesRoot ? { piecesRoot } : {}) };
      this.offset += length;
    }
    return this.i === this.files.length;
  }

  /** The torrent, once `step` returned true. */
  torrent(): Torrent {
    if (this.i !== this.files.length) throw new Error('ColumnsReader: not all files rebuilt yet');
    const head: Record<string, unknown> = { ...this.c.head };
    for (const k of this.c.buffers.head) head[k] = asBuffer(head[k] as Uint8Array);
    const pieceLayers = this.c.buffers.layers ? new Map([...this.c.head.pieceLayers].map(([k, l]) => [k, asBuffer(l)])) : this.c.head.pieceLayers;
    return { ...(head as Omit<Torrent, 'layout'>), pieceLayers, layout: new PieceLayout(this.files, this.c.head.pieceLength) };
  }
}

/** The whole `Torrent` back at once. */
export function fromColumns(c: TorrentColumns): Torrent {
  const r = new ColumnsReader(c);
  r.step(Infinity);
  return r.torrent();
}
