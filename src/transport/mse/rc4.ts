/**
 * RC4 (ARC4), the stream cipher of Message Stream Encryption. Node's `node:crypto` offers RC4
 * only with OpenSSL's legacy provider loaded, which we do not require; MSE is obfuscation,
 * not security, so a TypeScript RC4 is enough. Checked against RFC 6229's vectors.
 *
 * Speed matters (every payload byte of an RC4 connection passes here twice: once on each
 * side): the keystream is made four bytes at a time and XORed as one 32-bit word on
 * little-endian hosts, about twice the speed of the byte loop in V8, and inputs of 512 bytes
 * or more go through the same loop in WebAssembly (`rc4-wasm.ts`), about 25% faster again.
 */
import { DATA_OFFSET, STATE_OFFSET, WINDOW, rc4Kernel, type Rc4Kernel } from './rc4-wasm.js';

/** True on little-endian hosts (every platform Node ships for), where the word loops are valid. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Shorter inputs stay in TypeScript: copying the state in and out of the kernel costs more. */
const KERNEL_MIN_BYTES = 512;

export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;
  private readonly kernel: Rc4Kernel | null;

  /**
   * `key`: 1 to 256 bytes (MSE uses 20-byte SHA-1 digests). `wasm: false` keeps every byte in
   * the TypeScript loops (tests compare both paths).
   */
  constructor(key: Uint8Array, options: { wasm?: boolean } = {}) {
    this.kernel = LITTLE_ENDIAN && options.wasm !== false ? rc4Kernel() : null;
    if (key.length === 0 || key.length > 256) throw new RangeError(`RC4 key must be 1-256 bytes, got ${key.length}`);
    const s = this.s;
    for (let i = 0; i < 256; i++) s[i] = i;
    let j = 0;
    for (let i = 0; i < 256; i++) {
      const si = s[i];
      j = (j + si + key[i % key.length]) & 255;
      s[i] = s[j];
      s[j] = si;
    }
  }

  /** Throws away `n` keystream bytes (MSE drops the first 1024). */
  discard(n: number): void {
    this.update(new Uint8Array(n));
  }

  /** XORs the keystream into `data` in place and returns it. */
  update(data: Uint8Array): Uint8Array {
    const n = data.length;
    if (this.kernel !== null && n >= KERNEL_MIN_BYTES) return this.updateInKernel(data, this.kernel);
    let k = 0;
    if (LITTLE_ENDIAN && n >= 16) {
      // Bytes until the view is 4-byte aligned, then whole words.
      const head = (4 - (data.byteOffset & 3)) & 3;
      this.bytes(data, 0, head);
      k = head;
      const words = (n - head) >>> 2;
      this.words(new Int32Array(data.buffer, data.byteOffset + head, words));
      k += words << 2;
    }
    this.bytes(data, k, n);
    return data;
  }

  /** A new array holding `data` XOR the keystream (`data` is left alone). */
  process(data: Uint8Array): Uint8Array {
    return this.update(new Uint8Array(data));
  }

  /** Whole words through the WebAssembly kernel, a window at a time; the tail in TypeScript. */
  private updateInKernel(data: Uint8Array, kernel: Rc4Kernel): Uint8Array {
    const words = data.length & ~3;
    const mem = kernel.memory;
    mem.set(this.s, STATE_OFFSET);
    kernel.state[0] = this.i;
    kernel.state[1] = this.j;
    for (let at = 0; at < words; at += WINDOW) {
      const len = Math.min(WINDOW, words - at);
      mem.set(data.subarray(at, at + len), DATA_OFFSET);
      kernel.rc4(DATA_OFFSET, len);
      data.set(mem.subarray(DATA_OFFSET, DATA_OFFSET + len), at);
    }
    this.s.set(mem.subarray(STATE_OFFSET, STATE_OFFSET + 256));
    this.i = kernel.state[0];
    this.j = kernel.state[1];
    this.bytes(data, words, data.length);
    return data;
  }

  private bytes(data: Uint8Array, from: number, to: number): void {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = from; k < to; k++) {
      i = (i + 1) & 255;
      const si = s[i];
      j = (j + si) & 255;
      const sj = s[j];
      s[i] = sj;
      s[j] = si;
      data[k] ^= s[(si + sj) & 255];
    }
    this.i = i;
    this.j = j;
  }

  /** Four keystream bytes per word, assembled little-endian so byte order matches `bytes`. */
  private words(w: Int32Array): void {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    const n = w.length;
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 255;
      let si = s[i];
      j = (j + si) & 255;
      let sj = s[j];
      s[i] = sj;
      s[j] = si;
      let x = s[(si + sj) & 255];
      i = (i + 1) & 255;
      si = s[i];
      j = (j + si) & 255;
      sj = s[j];
      s[i] = sj;
      s[j] = si;
      x |= s[(si + sj) & 255] << 8;
      i = (i + 1) & 255;
      si = s[i];
      j = (j + si) & 255;
      sj = s[j];
      s[i] = sj;
      s[j] = si;
      x |= s[(si + sj) & 255] << 16;
      i = (i + 1) & 255;
      si = s[i];
      j = (j + si) & 255;
      sj = s[j];
      s[i] = sj;
      s[j] = si;
      x |= s[(si + sj) & 255] << 24;
      w[k] ^= x;
    }
    this.i = i;
    this.j = j;
  }
}
