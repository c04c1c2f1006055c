/** A linear pre-pass over a .torrent's raw bytes, before decoding (see `prescan`). */
import { TorrentParseError } from './errors.js';

const err = (m: string): Error => new TorrentParseError(m);

const D0 = 0x30, D9 = 0x39, COLON = 0x3a, E = 0x65, I = 0x69, L = 0x6c, D = 0x64;
const INFO_KEY = [0x34, 0x3a, 0x69, 0x6e, 0x66, 0x6f]; // '4:info'

/**
 * One pass over the raw bytes before they are decoded: counts the values against `maxTokens`
 * and finds the byte range of the outer dict's first 'info' value (the info hash is taken over
 * those bytes; like the lenient decoder, the first of duplicate keys wins). Iterative, linear,
 * allocation-free. Malformed input is left for the decoder to report: the range is only used
 * once the same bytes have decoded.
 */
export function prescan(b: Uint8Array, maxTokens: number): { start: number; end: number } | undefined {
  let tokens = 0;
  /** Skips the value at `pos`: where it ends, or -1 if it is malformed. */
  const skip = (pos: number): number => {
    let depth = 0;
    do {
      if (pos >= b.length) return -1;
      const c = b[pos];
      if (c === E) {
        if (depth === 0) return -1;
        depth--;
        pos++;
        continue;
      }
      tokens += c === D ? 2 : 1;
      if (tokens > maxTokens) throw err(`more than maxTokens (${maxTokens}) bencode values`);
      if (c === L || c === D) {
        depth++;
        pos++;
      } else if (c === I) {
        const end = b.indexOf(E, pos);
        if (end < 0) return -1;
        pos = end + 1;
      } else if (c >= D0 && c <= D9) {
        let n = 0, p = pos;
        while (p < b.length && b[p] >= D0 && b[p] <= D9 && p - pos < 16) n = n * 10 + b[p++] - D0;
        if (b[p] !== COLON) return -1;
        pos = p + 1 + n;
      } else {
        return -1;
      }
    } while (depth > 0);
    return pos <= b.length ? pos : -1;
  };
  if (b[0] !== D) {
    skip(0);
    return undefined;
  }
  tokens = 2;
  let info: { start: number; end: number } | undefined;
  for (let pos = 1; pos < b.length && b[pos] !== E;) {
    const valueAt = skip(pos);
    const end = valueAt < 0 ? -1 : skip(valueAt);
    if (end < 0) return undefined;
    if (!info && valueAt - pos === INFO_KEY.length && INFO_KEY.every((x, i) => b[pos + i] === x)) info = { start: valueAt, end };
    pos = end;
  }
  return info;
}
