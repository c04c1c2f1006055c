/** Bencode encoder (BEP 3): dictionary keys are written sorted by their raw bytes. */
import { ShoalError } from '../errors.js';
import type { Encodable } from './types.js';
import { BencodeWriter as Writer } from './writer.js';

const enc = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function write(w: Writer, v: Encodable, depth: number): void {
  if (depth > 256) throw new ShoalError('bencode: value nested too deeply to encode');
  if (v instanceof Uint8Array) return w.bytes(v);
  switch (typeof v) {
    case 'string':
      return w.bytes(enc.encode(v));
    case 'number':
      if (!Number.isSafeInteger(v)) throw new ShoalError(`bencode: cannot encode non-integer number ${v}`);
      return w.ascii(`i${v}e`);
    case 'bigint':
      return w.ascii(`i${v}e`);
    case 'boolean':
      return w.ascii(v ? 'i1e' : 'i0e');
  }
  if (Array.isArray(v)) {
    w.ascii('l');
    for (const item of v as readonly Encodable[]) write(w, item, depth + 1);
    return w.ascii('e');
  }
  w.ascii('d');
  if (v instanceof Map) {
    // Binary-string keys: code-unit order is byte order.
    const keys = [...(v as ReadonlyMap<string, Encodable | undefined>).keys()].sort();
    for (const k of keys) {
      const item = v.get(k);
      if (item === undefined) continue;
      for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) > 0xff) throw new ShoalError('bencode: Map keys must be binary strings (one char per byte)');
      w.str(k);
      write(w, item, depth + 1);
    }
  } else {
    const obj = v as { readonly [key: string]: Encodable | undefined };
    const entries = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .map((k) => [enc.encode(k), obj[k] as Encodable] as const)
      .sort((a, b) => compareBytes(a[0], b[0]));
    for (const [k, item] of entries) {
      w.bytes(k);
      write(w, item, depth + 1);
    }
  }
  w.ascii('e');
}

export function encode(value: Encodable): Uint8Array {
  const w = new Writer();
  write(w, value, 0);
  return w.buf.slice(0, w.len);
}
