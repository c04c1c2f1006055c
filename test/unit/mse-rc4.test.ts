import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rc4 } from '../../src/transport/mse/rc4.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** RFC 6229 section 2, key length 40 bits, key 0x0102030405: keystream at each offset. */
const RFC6229_KEY40: ReadonlyArray<readonly [number, string]> = [
  [0, 'b2 39 63 05 f0 3d c0 27 cc c3 52 4a 0a 11 18 a8'],
  [16, '69 82 94 4f 18 fc 82 d5 89 c4 03 a4 7a 0d 09 19'],
  [240, '28 cb 11 32 c9 6c e2 86 42 1d ca ad b8 b6 9e ae'],
  [256, '1c fc f6 2b 03 ed db 64 1d 77 df cf 7f 8d 8c 93'],
  [496, '42 b7 d0 cd d9 18 a8 a3 3d d5 17 81 c8 1f 40 41'],
  [512, '64 59 84 44 32 a7 da 92 3c fb 3e b4 98 06 61 f6'],
  [752, 'ec 10 32 7b de 2b ee fd 18 f9 27 76 80 45 7e 22'],
  [768, 'eb 62 63 8d 4f 0b a1 fe 9f ca 20 e0 5b f8 ff 2b'],
  [1008, '45 12 90 48 e6 a0 ed 0b 56 b4 90 33 8f 07 8d a5'],
  [1024, '30 ab bc c7 c2 0b 01 60 9f 23 ee 2d 5f 6b b7 df'],
  [1520, '32 94 f7 44 d8 f9 79 05 07 e7 0f 62 e5 bb ce ea'],
  [1536, 'd8 72 9d b4 18 82 25 9b ee 4f 82 53 25 f5 a1 30'],
  [2032, '1e b1 4a 0c 13 b3 bf 47 fa 2a 0b a9 3a d4 5b 8b'],
  [2048, 'cc 58 2f 8b a9 f2 65 e2 b1 be 91 12 e9 75 d2 d7'],
  [3056, 'f2 e3 0f 9b d1 02 ec bf 75 aa ad e9 bc 35 c4 3c'],
  [3072, 'ec 0e 11 c4 79 dc 32 9d c8 da 79 68 fe 96 56 81'],
  [4080, '06 83 26 a2 11 84 16 d2 1f 9d 04 b2 cd 1c a0 50'],
  [4096, 'ff 25 b5 89 95 99 67 07 e5 1f bd f0 8b 34 d8 75'],
];

function keystream(key: Uint8Array, n: number, chunk: number, offset = 0, wasm = true): Uint8Array {
  const backing = new Uint8Array(n + offset);
  const out = backing.subarray(offset);
  const c = new Rc4(key, { wasm });
  for (let at = 0; at < n; at += chunk) c.update(out.subarray(at, Math.min(n, at + chunk)));
  return out;
}

describe('RC4 (RFC 6229 vectors)', () => {
  const key40 = hex('0102030405');

  const paths = [
    ['WebAssembly kernel, one call', 8192, 0, true], ['WebAssembly kernel, unaligned view, 1001-byte calls', 1001, 3, true],
    ['TypeScript word loop, one call', 8192, 0, false], ['TypeScript word loop, unaligned view', 8192, 3, false],
    ['byte loop (7-byte calls)', 7, 0, true], ['mixed (1000-byte calls at offset 1)', 1000, 1, false],
  ] as const;
  for (const [name, chunk, offset, wasm] of paths) {
    it(`matches the 40-bit key's keystream at every listed offset: ${name}`, () => {
      const ks = keystream(key40, 4112, chunk, offset, wasm);
      for (const [at, expect] of RFC6229_KEY40) assert.deepEqual(ks.subarray(at, at + 16), hex(expect), `offset ${at}`);
    });
  }

  it("matches the 64-bit key 0x0102030405060708's first 16 bytes", () => {
    assert.deepEqual(keystream(hex('0102030405060708'), 16, 16), hex('97 ab 8a 1b f0 af b9 61 32 f2 f6 72 58 da 15 a8'));
  });

  it('discard(1024) then update continues at offset 1024 (RC4-drop1024, as MSE uses it)', () => {
    const c = new Rc4(key40);
    c.discard(1024);
    assert.deepEqual(c.update(new Uint8Array(16)), hex('30 ab bc c7 c2 0b 01 60 9f 23 ee 2d 5f 6b b7 df'));
  });

  it('process() leaves its input alone and decrypts what it encrypted', () => {
    const text = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 31) & 255);
    const copy = new Uint8Array(text);
    const sealed = new Rc4(hex('aabbcc')).process(text);
    assert.deepEqual(text, copy);
    assert.notDeepEqual(sealed, text);
    assert.deepEqual(new Rc4(hex('aabbcc')).process(sealed), text);
  });

  it('the kernel and the TypeScript loops give the same stream over a long run (several kernel windows)', () => {
    const key = hex('00112233445566778899aabbccddeeff00112233');
    const a = new Rc4(key);
    const b = new Rc4(key, { wasm: false });
    for (const n of [3, 200_001, 600, 61_441, 5]) assert.deepEqual(a.update(new Uint8Array(n)), b.update(new Uint8Array(n)), `after ${n}`);
  });

  it('refuses an empty key', () => {
    assert.throws(() => new Rc4(new Uint8Array(0)), RangeError);
  });
});
