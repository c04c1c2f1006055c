/**
 * Parsing JSON request bodies with bounded cost. Before `JSON.parse` sees a body, one linear
 * pass over its bytes checks how deep arrays and objects nest and how many values there are:
 * a 27 MiB body of `[[[[...` or `[1,1,1,...` is refused in one scan (a few ms) instead of
 * costing seconds and hundreds of MB in the parser. The parse itself is fastify's (which
 * also refuses `__proto__` / `constructor.prototype` keys).
 */
import { ServiceError } from '../types.js';

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
const OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d, OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d;

/**
 * Throws a 400 ServiceError when `body` nests arrays/objects deeper than `maxDepth` or holds
 * more than `maxValues` values. Only structure outside strings counts; the JSON's validity is
 * left to the parser.
 */
export function checkJsonShape(body: Buffer, maxDepth: number, maxValues: number): void {
  let depth = 0, values = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === QUOTE) {
      i = closingQuote(body, i + 1);
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) throw new ServiceError(400, `JSON nests deeper than ${maxDepth} levels`);
      values++;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (c === COMMA) values++;
    else continue;
    if (values > maxValues) throw new ServiceError(400, `JSON holds more than ${maxValues} values`);
  }
}

/** Index of the quote closing a string whose text starts at `from` (the body's length if none): a native search, so a 27 MiB base64 string costs one memchr. */
function closingQuote(body: Buffer, from: number): number {
  for (let at = from; ; at++) {
    at = body.indexOf(QUOTE, at);
    if (at < 0) return body.length;
    let slashes = 0;
    while (body[at - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at; // an odd run of backslashes escapes the quote
  }
}
