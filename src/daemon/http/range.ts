/** HTTP `Range: bytes=...` for one file (RFC 9110 section 14). Pure, so it is easy to test. */

/** Inclusive byte range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export type RangeDecision =
  /** Serve the whole file with 200 (no Range, one we do not understand, or several ranges). */
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly range: ByteRange }
  /** 416 with `Content-Range: bytes *\/length`. */
  | { readonly kind: 'unsatisfiable' };

/**
 * RFC 9110 lets a server ignore a Range it does not support, so malformed headers and
 * multi-range requests (which media players do not send) get the whole file.
 */
export function decideRange(header: string | undefined, length: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/i.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  // Past 15 digits a number is beyond any file (and than exact doubles): a first byte there is
  // past the end, a last byte or suffix there means "to the end" (RFC 9110 clips it, and some
  // download managers send bytes=0-18446744073709551615).
  if (m[1].length > 15) return { kind: 'unsatisfiable' };
  if (m[2].length > 15) m[2] = '999999999999999';
  if (m[1] === '') {
    // Suffix: the last n bytes.
    const n = Number(m[2]);
    if (n === 0 || length === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, length - n), end: length - 1 } };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'full' }; // syntactically invalid: ignore it
  if (start >= length) return { kind: 'unsatisfiable' };
  const last = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
  return { kind: 'partial', range: { start, end: last } };
}
