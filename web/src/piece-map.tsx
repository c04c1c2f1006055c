/**
 * The pieces we have, drawn on a canvas from the base64 bitfield (high bit first). With
 * more pieces than fit as 4 px cells, each cell stands for a run of pieces and is shaded
 * by the share of them we have.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatCount } from './format.js';

const MAX_HEIGHT = 160, GAP = 1;
const CELL_SIZES = [16, 12, 10, 8, 6, 4];

export function decodeBitfield(base64: string, count: number): Uint8Array {
  const bits = new Uint8Array(count);
  let raw: string;
  try {
    raw = atob(base64);
  } catch {
    return bits; // not base64: show nothing as had rather than fail the view
  }
  for (let i = 0; i < count; i++) {
    const byte = raw.charCodeAt(i >> 3);
    bits[i] = (byte >> (7 - (i & 7))) & 1;
  }
  return bits;
}

interface Layout {
  readonly cell: number;
  readonly cols: number;
  readonly rows: number;
  /** Pieces per cell (1 unless aggregated). */
  readonly per: number;
}

function layout(width: number, count: number): Layout {
  for (const cell of CELL_SIZES) {
    const cols = Math.max(1, Math.floor((width + GAP) / cell));
    const rows = Math.ceil(count / cols);
    if (rows * cell <= MAX_HEIGHT) return { cell, cols, rows, per: 1 };
  }
  const cell = CELL_SIZES[CELL_SIZES.length - 1];
  const cols = Math.max(1, Math.floor((width + GAP) / cell));
  const rows = Math.floor(MAX_HEIGHT / cell);
  const per = count / (cols * rows);
  return { cell, cols, rows: Math.ceil(count / per / cols), per };
}

export function PieceMap({ pieces, pieceCount }: { pieces: string; pieceCount: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const bits = useMemo(() => decodeBitfield(pieces, pieceCount), [pieces, pieceCount]);
  const have = useMemo(() => bits.reduce((a, b) => a + b, 0), [bits]);

  useEffect(() => {
    const el = canvas.current?.parentElement;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const c = canvas.current;
    if (!c || width <= 0 || pieceCount <= 0) return;
    const { cell, cols, rows, per } = layout(width, pieceCount);
    const dpr = window.devicePixelRatio || 1;
    const h = rows * cell - GAP;
    c.width = Math.round(width * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${width}px`;
    c.style.height = `${h}px`;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    const css = getComputedStyle(c);
    const haveColour = css.getPropertyValue('--piece-have').trim() || '#2f7de1';
    const missingColour = css.getPropertyValue('--piece-missing').trim() || '#ddd';
    const cells = Math.ceil(pieceCount / per);
    for (let i = 0; i < cells; i++) {
      const from = Math.floor(i * per), to = Math.min(pieceCount, Math.floor((i + 1) * per)) || from + 1;
      let n = 0;
      for (let p = from; p < to; p++) n += bits[p];
      const x = (i % cols) * cell, y = Math.floor(i / cols) * cell;
      ctx.globalAlpha = 1;
      ctx.fillStyle = missingColour;
      ctx.fillRect(x, y, cell - GAP, cell - GAP);
      if (n > 0) {
        ctx.globalAlpha = 0.25 + 0.75 * (n / (to - from));
        ctx.fillStyle = haveColour;
        ctx.fillRect(x, y, cell - GAP, cell - GAP);
      }
    }
  }, [bits, pieceCount, width]);

  if (pieceCount <= 0) return <p class="empty">No pieces yet: waiting for the torrent's metadata.</p>;
  return (
    <figure class="piecemap">
      <canvas ref={canvas} role="img" aria-label={`Piece map: ${have} of ${pieceCount} pieces`} />
      <figcaption>{formatCount(have)} of {formatCount(pieceCount)} pieces</figcaption>
    </figure>
  );
}
