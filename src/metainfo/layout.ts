/**
 * The piece space: files laid end to end (BEP 3), pad files (BEP 47) included, and the
 * mapping between pieces and file byte ranges.
 */

export interface TorrentFile {
  /** Path components below the torrent's root directory (single-file: just the name). Sanitised: where the file goes on disk. */
  readonly path: readonly string[];
  /**
   * The components as the torrent wrote them, when sanitising (`CON` -> `CON_`, a name cut to
   * 255 bytes) or collision renaming (`x.txt` -> `x.1.txt`) changed `path`; absent when they are
   * the same. Never a disk path: a BEP 19 web seed serves the torrent's own names, so its URLs
   * are built from these (swarm/webseed-url.ts).
   */
  readonly rawPath?: readonly string[];
  readonly length: number;
  /** Byte offset of the file's first byte in the piece space. */
  readonly offset: number;
  /** A BEP 47 pad file: zeros that exist only in the piece space, never on disk. */
  readonly pad: boolean;
  /** BEP 47 attributes as written ('x' executable, 'h' hidden, 'p' pad, 'l' symlink). */
  readonly attr: string;
  /** BEP 52 merkle root of a non-empty file (v2 and hybrid torrents). */
  readonly piecesRoot?: Uint8Array;
}

/** A contiguous byte range of one file that a piece covers. */
export interface FileSlice {
  readonly fileIndex: number;
  /** Offset within the file. */
  readonly offset: number;
  readonly length: number;
}

export class PieceLayout {
  /** Total bytes of the piece space (pads included). */
  readonly totalLength: number;
  readonly pieceCount: number;

  constructor(readonly files: readonly TorrentFile[], readonly pieceLength: number) {
    const last = files[files.length - 1];
    this.totalLength = last ? last.offset + last.length : 0;
    this.pieceCount = Math.ceil(this.totalLength / pieceLength);
  }

  /** Lays files out end to end, from their lengths, assigning offsets. */
  static fromEntries(entries: readonly Omit<TorrentFile, 'offset'>[], pieceLength: number): PieceLayout {
    let offset = 0;
    const files: TorrentFile[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      // Named fields, not a spread: this runs once per file (700,000 for some torrents).
      files[i] = e.rawPath === undefined && e.piecesRoot === undefined
        ? { path: e.path, length: e.length, offset, pad: e.pad, attr: e.attr }
        : { ...e, offset };
      offset += e.length;
    }
    return new PieceLayout(files, pieceLength);
  }

  pieceSize(index: number): number {
    if (index < 0 || index >= this.pieceCount) throw new RangeError(`piece ${index} out of range`);
    return Math.min(this.pieceLength, this.totalLength - index * this.pieceLength);
  }

  /** Index of the file holding byte `offset` of the piece space (binary search; skips empty files). */
  fileAt(offset: number): number {
    let lo = 0, hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.files[mid].offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    while (lo < this.files.length - 1 && this.files[lo].offset + this.files[lo].length <= offset) lo++;
    return lo;
  }

  /** The file ranges a byte range [offset, offset + length) of the piece space touches, in order. */
  slices(offset: number, length: number): FileSlice[] {
    const out: FileSlice[] = [];
    if (length <= 0) return out;
    let i = this.fileAt(offset);
    let pos = offset;
    const end = offset + length;
    while (pos < end && i < this.files.length) {
      const f = this.files[i];
      const fileEnd = f.offset + f.length;
      if (fileEnd > pos && f.length > 0) {
        const n = Math.min(end, fileEnd) - pos;
        out.push({ fileIndex: i, offset: pos - f.offset, length: n });
        pos += n;
      }
      i++;
    }
    return out;
  }

  /** The file ranges piece `index` covers. */
  pieceSlices(index: number): FileSlice[] {
    return this.slices(index * this.pieceLength, this.pieceSize(index));
  }

  /** Pieces [first, last] that hold any byte of file `fileIndex` (null for an empty file). */
  filePieces(fileIndex: number): { first: number; last: number } | null {
    const f = this.files[fileIndex];
    if (f.length === 0) return null;
    return { first: Math.floor(f.offset / this.pieceLength), last: Math.floor((f.offset + f.length - 1) / this.pieceLength) };
  }
}
