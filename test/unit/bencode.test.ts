import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BencodeError,
  DECODE_DEFAULTS,
  decode,
  decodeWithSpans,
  encode,
  keyBytes,
  textKey,
  type BDict,
  type BList,
  type DecodeOptions,
} from '../../src/bencode/index.js';
import { InputError, ShoalError } from '../../src/errors.js';

/** Bytes of a binary string (one char per byte). */
const b = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const str = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('latin1');

function rejects(input: string | Uint8Array, pattern: RegExp, options?: DecodeOptions): BencodeError {
  const bytes = typeof input === 'string' ? b(input) : input;
  let caught: unknown;
  try {
    decode(bytes, options);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof BencodeError, `expected BencodeError for ${JSON.stringify(str(bytes).slice(0, 40))}, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('bencode decode: rejections', () => {
  it('is an InputError carrying the byte offset in message and field', () => {
    const e = rejects('li1ei03ee', /leading zero at byte 5/);
    assert.ok(e instanceof InputError);
    assert.equal(e.offset, 5);
  });
  it('rejects leading zeros in integers', () => {
    rejects('i03e', /leading zero/);
    rejects('i00e', /leading zero/);
    rejects('i-03e', /leading zero/);
  });
  it('rejects leading zeros in string lengths', () => {
    rejects('03:abc', /leading zero/);
    rejects('00:', /leading zero/);
  });
  it('accepts a lone zero as integer and as string length', () => {
    assert.equal(decode(b('i0e')), 0);
    assert.deepEqual(decode(b('0:')), new Uint8Array(0));
  });
  it('rejects negative zero', () => {
    rejects('i-0e', /negative zero/);
  });
  it('rejects an integer with no digits', () => {
    rejects('ie', /expected digits/);
    rejects('i-e', /expected digits/);
  });
  it('rejects signs and junk inside numbers', () => {
    rejects('i+1e', /expected 'e'/);
    rejects('i1.5e', /expected 'e'/);
    rejects('i--1e', /expected 'e'/);
    rejects('-1:a', /unexpected byte 0x2d/);
    rejects('1a:x', /expected ':'/);
  });
  it('rejects a byte that starts no value', () => {
    rejects('x', /unexpected byte 0x78 at byte 0/);
    rejects('', /unexpected end of input/);
    rejects('le0', /trailing bytes/);
  });
  it('rejects unsorted keys in strict mode (the default)', () => {
    rejects('d1:bi1e1:ai2ee', /dictionary keys not sorted at byte 7/);
    rejects('d2:abi1e1:ai2ee', /not sorted/); // 'ab' > 'a'
  });
  it('rejects duplicate keys in strict mode', () => {
    rejects('d1:ai1e1:ai2ee', /duplicate dictionary key at byte 7/);
  });
  it('accepts unsorted keys with strict:false, keeping input order', () => {
    const d = decode(b('d1:bi1e1:ai2ee'), { strict: false }) as BDict;
    assert.deepEqual([...d.entries()], [['b', 1], ['a', 2]]);
  });
  it('keeps the first of duplicate keys with strict:false (libtorrent behaviour)', () => {
    const d = decode(b('d1:ai1e1:ai2e1:bli9eee'), { strict: false }) as BDict;
    assert.deepEqual([...d.entries()], [['a', 1], ['b', [9]]]);
  });
  it('still rejects malformed values inside a lenient dict', () => {
    rejects('d1:ai01ee', /leading zero/, { strict: false });
  });
  it('rejects trailing bytes after the value', () => {
    rejects('i1ei2e', /trailing bytes after value at byte 3/);
    rejects('0:x', /trailing bytes/);
  });
  it('accepts trailing bytes with allowTrailing and reports where the value ended', () => {
    assert.equal(decode(b('i1exyz'), { allowTrailing: true }), 1);
    assert.equal(decodeWithSpans(b('le!!'), { allowTrailing: true }).end, 2);
  });
  it('rejects non-string dictionary keys', () => {
    rejects('di1ei2ee', /dictionary key is not a byte string at byte 1/);
    rejects('dlei1ee', /not a byte string/);
    rejects('ddei1ee', /not a byte string/);
    rejects('d1:ai1ei2ei3ee', /not a byte string at byte 7/);
  });
  it('rejects a key with no value', () => {
    rejects('d1:ae', /unexpected byte 0x65/);
  });
  const doc = 'd8:announce14:http://x/a/ann4:infod6:lengthi-42e4:name3:a\xff\x005:piecel0:1:xleeee';
  it('the truncation document is valid', () => assert.ok(decode(b(doc)) instanceof Map));
  it('rejects every truncation of a valid document', () => {
    for (let cut = 0; cut < doc.length; cut++) {
      rejects(doc.slice(0, cut), /end of input|unterminated|runs past end/);
    }
  });
  it('rejects every truncation in lenient mode too', () => {
    for (let cut = 0; cut < doc.length; cut++) rejects(doc.slice(0, cut), /./, { strict: false });
  });
  it('rejects a string whose length runs past the end', () => {
    rejects('5:abc', /byte string runs past end of input at byte 0/);
  });
});

describe('bencode decode: limits', () => {
  it('documents its defaults', () => {
    assert.deepEqual(DECODE_DEFAULTS, {
      strict: true,
      maxDepth: 64,
      maxStringLength: 16 * 1024 * 1024,
      maxSize: 64 * 1024 * 1024,
      copy: false,
      allowTrailing: false,
    });
  });
  const nested = (n: number): string => 'l'.repeat(n) + 'e'.repeat(n);
  it('accepts nesting up to maxDepth (default 64)', () => assert.ok(Array.isArray(decode(b(nested(64))))));
  it('rejects nesting beyond the default maxDepth', () => {
    rejects(nested(65), /nesting deeper than maxDepth \(64\) at byte 64/);
  });
  it('applies a custom maxDepth to lists and dicts alike', () => {
    assert.ok(decode(b(nested(3)), { maxDepth: 3 }));
    rejects(nested(4), /maxDepth \(3\)/, { maxDepth: 3 });
    rejects('d1:ad1:ad1:aleeee', /maxDepth \(3\)/, { maxDepth: 3 });
  });
  it('rejects a deep unterminated list quickly without overflowing the stack', () => {
    rejects('l'.repeat(1_000_000), /maxDepth/);
  });
  it('turns a stack overflow from a huge custom maxDepth into a BencodeError', () => {
    rejects(nested(200_000), /undecodable input|maxDepth/, { maxDepth: 1_000_000 });
  });
  it('accepts a string of exactly maxStringLength bytes', () => {
    assert.equal((decode(b('4:abcd'), { maxStringLength: 4 }) as Uint8Array).length, 4);
  });
  it('rejects a string longer than maxStringLength before reading it', () => {
    rejects('5:abcde', /byte string longer than maxStringLength \(4\) at byte 0/, { maxStringLength: 4 });
  });
  it('rejects a declared length over the default maxStringLength (16 MiB) without allocating', () => {
    rejects(`${16 * 1024 * 1024 + 1}:`, /maxStringLength \(16777216\)/);
    rejects('9999999999:', /maxStringLength/);
    rejects('99999999999999999999999999999:', /maxStringLength/);
  });
  it('applies maxStringLength to dictionary keys', () => {
    rejects('d5:abcdei1ee', /maxStringLength \(4\)/, { maxStringLength: 4 });
  });
  it('rejects an input larger than maxSize', () => {
    assert.equal(decode(b('4:abcd'), { maxSize: 6 }) instanceof Uint8Array, true);
    rejects('4:abcde', /input larger than maxSize \(6 bytes\) at byte 0/, { maxSize: 6 });
  });
  it('rejects an input larger than the default maxSize (64 MiB)', () => {
    rejects(new Uint8Array(64 * 1024 * 1024 + 1), /maxSize \(67108864 bytes\)/);
  });
  it('rejects integers of more than 64 digits', () => {
    assert.equal(typeof decode(b(`i${'9'.repeat(64)}e`)), 'bigint');
    rejects(`i${'9'.repeat(65)}e`, /integer too long at byte 1/);
  });
});

describe('bencode decode: integers', () => {
  it('returns safe integers as numbers', () => {
    assert.equal(decode(b('i-42e')), -42);
    assert.equal(decode(b('i1000000000000000e')), 1e15); // 16 digits, still safe
    assert.equal(decode(b('i9007199254740991e')), Number.MAX_SAFE_INTEGER);
    assert.equal(decode(b('i-9007199254740991e')), Number.MIN_SAFE_INTEGER);
  });
  it('returns integers beyond the safe range as exact bigints', () => {
    assert.equal(decode(b('i9007199254740992e')), 9007199254740992n);
    assert.equal(decode(b('i-9007199254740993e')), -9007199254740993n);
    assert.equal(decode(b('i123456789012345678901234567890e')), 123456789012345678901234567890n);
  });
});

describe('bencode decode: spans and raw bytes', () => {
  it('gives the exact span of lists, dicts and byte strings', () => {
    const r = decodeWithSpans(b('d1:ali1e3:xyzee'));
    const d = r.value as BDict;
    const list = d.get('a') as BList;
    assert.deepEqual(r.span(d), { start: 0, end: 15 });
    assert.deepEqual(r.span(list), { start: 4, end: 14 });
    assert.equal(str(r.raw(list)), 'li1e3:xyze');
    assert.equal(str(r.raw(list[1])), '3:xyz');
    assert.equal(r.span(list[0]), undefined, 'integers are not objects and have no span');
  });
  it('raw bytes of a nested dict equal the original span even when it is not canonical (lenient)', () => {
    const info = 'd4:name1:x6:lengthi5e4:name1:ye'; // unsorted and duplicated keys
    const input = b(`d8:announce1:u4:info${info}e`);
    const r = decodeWithSpans(input, { strict: false });
    const d = r.value as BDict;
    const raw = r.raw(d.get('info') as BDict);
    assert.equal(str(raw), info);
    assert.notEqual(str(encode(d.get('info') as BDict)), info, 're-encoding would change the info hash');
    assert.equal(raw.buffer, input.buffer, 'raw is a view, not a copy');
  });
  it('raw refuses a value that did not come from this input', () => {
    const r = decodeWithSpans(b('le'));
    assert.throws(() => r.raw([]), /not decoded from this input/);
  });
  it('keeps spans when copy is set', () => {
    const r = decodeWithSpans(b('l3:abce'), { copy: true });
    assert.equal(str(r.raw((r.value as BList)[0])), '3:abc');
  });
});

describe('bencode decode: copy option', () => {
  it('returns views into the input by default', () => {
    const input = b('l3:abce');
    const s = (decode(input) as BList)[0] as Uint8Array;
    input[3] = 0x7a;
    assert.equal(str(s), 'zbc');
  });
  it('returns independent bytes with copy:true', () => {
    const input = b('l3:abce');
    const s = (decode(input, { copy: true }) as BList)[0] as Uint8Array;
    input[3] = 0x7a;
    assert.equal(str(s), 'abc');
  });
  it('returns independent bytes with copy:true for a Buffer input too', () => {
    const input = Buffer.from('3:abc');
    const s = decode(input, { copy: true }) as Uint8Array;
    input[2] = 0x7a;
    assert.equal(str(s), 'abc');
  });
});

describe('bencode encode', () => {
  const text = (v: Parameters<typeof encode>[0]): string => str(encode(v));
  it('writes every value type', () => {
    assert.equal(text({ s: 'héllo', n: -3, big: 2n ** 70n, t: true, f: false, l: [b('\x00\xff'), []], m: new Map() }),
      `d3:bigi${2n ** 70n}e1:fi0e1:ll2:\x00\xfflee1:mde1:ni-3e1:s6:h\xc3\xa9llo1:ti1ee`);
    assert.equal(text(-0), 'i0e');
  });
  it('leaves out undefined entries', () => {
    assert.equal(text({ a: undefined, b: 1 }), 'd1:bi1ee');
    assert.equal(text(new Map([['a', undefined], ['b', 1]])), 'd1:bi1ee');
  });
  it('sorts object keys by their UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 is EF BD A1 in UTF-8; U+1F600 is F0 9F 98 80 but sorts first in UTF-16 (D83D).
    const out = text({ '😀': 1, '\uff61': 2, z: 3, é: 4, A: 5 });
    assert.equal(out, 'd1:Ai5e1:zi3e2:\xc3\xa9i4e3:\xef\xbd\xa1i2e4:\xf0\x9f\x98\x80i1ee');
  });
  it('sorts binary Map keys by raw bytes', () => {
    const m = new Map<string, number>([['\xff', 1], ['a', 2], ['\x00\x01', 3], ['\x80', 4], ['\x00', 5], [textKey('é'), 6]]);
    assert.equal(text(m), 'd1:\x00i5e2:\x00\x01i3e1:ai2e1:\x80i4e2:\xc3\xa9i6e1:\xffi1ee');
  });
  it('round-trips 32-byte binary keys (v2 piece layers)', () => {
    const k = str(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));
    const m = new Map([[k, b('x')]]);
    const back = decode(encode(m)) as BDict;
    assert.deepEqual(keyBytes([...back.keys()][0]), b(k));
  });
  it('refuses Map keys that are not binary strings', () => {
    assert.equal(text(new Map([['\xe9', 1]])), 'd1:\xe9i1ee'); // U+00E9 is the single byte E9
    assert.throws(() => encode(new Map([['\u0100', 1]])), /binary strings/);
  });
  it('rejects numbers that are not safe integers', () => {
    for (const n of [1.5, NaN, Infinity, -Infinity, 2 ** 53]) {
      assert.throws(() => encode(n), (e: unknown) => e instanceof ShoalError && /non-integer number/.test(e.message), String(n));
    }
    assert.equal(text(2n ** 53n), `i${2 ** 53}e`);
  });
  it('refuses values nested too deeply to encode', () => {
    let v: unknown[] = [];
    for (let i = 0; i < 300; i++) v = [v];
    assert.throws(() => encode(v as BList), /nested too deeply/);
  });
  it('re-encodes canonical input byte for byte', () => {
    const input = 'd1:ad1:bli-1ei0e0:ee1:c3:\x00\xff\x10e';
    assert.equal(str(encode(decode(b(input)) as BDict)), input);
  });
});
