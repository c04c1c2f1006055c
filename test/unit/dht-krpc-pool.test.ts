/**
 * The KRPC encoders write each message straight into a pool slab (src/dht/krpc-pool-writer.ts):
 * a message handed out stays intact while later ones are written, including when one
 * outgrows its slab and moves to a new one, and messages are what the generic writer makes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BencodeWriter } from '../../src/bencode/writer.js';
import { KRPC_POOL_BYTES, KrpcPoolWriter } from '../../src/dht/krpc-pool-writer.js';
import { decodeKrpc } from '../../src/dht/krpc.js';
import { encodeQuery } from '../../src/dht/krpc-encode.js';

/** Writes message `i` (a varying length of varying bytes) with `w`. */
function write(w: BencodeWriter, i: number): Uint8Array {
  w.reset();
  w.ascii('d1:x');
  w.bytes(Uint8Array.from({ length: 1 + ((i * 37) % 300) }, (_, j) => (i + j) & 0xff));
  w.ascii('e');
  return w.done();
}

describe('KRPC pool writer', () => {
  it('keeps every message handed out intact while later ones fill and overflow slabs', () => {
    const pooled = new KrpcPoolWriter();
    const plain = new BencodeWriter(16);
    const kept: Uint8Array[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 3 * KRPC_POOL_BYTES; i++) {
      const m = write(pooled, i);
      assert.deepEqual(m, write(plain, i));
      kept.push(m);
      bytes += m.length;
    }
    for (let i = 0; i < kept.length; i++) assert.deepEqual(kept[i], write(plain, i), `message ${i}`);
  });

  it('moves a message larger than a slab to a slab of its own size', () => {
    const w = new KrpcPoolWriter();
    const small = write(w, 1);
    w.reset();
    w.ascii('d1:x');
    w.bytes(new Uint8Array(KRPC_POOL_BYTES + 5).fill(7));
    w.ascii('e');
    const big = w.done();
    assert.equal(big.length, KRPC_POOL_BYTES + 5 + 11);
    assert.equal(big[big.length - 2], 7);
    assert.deepEqual(small, write(new BencodeWriter(), 1));
    assert.deepEqual(write(w, 2), write(new BencodeWriter(), 2));
  });

  it('gives encodeQuery messages that decode, each its own bytes', () => {
    const id = 'a'.repeat(20);
    const a = encodeQuery(1, id, { q: 'ping' });
    const b = encodeQuery(2, id, { q: 'find_node', target: 'b'.repeat(20) });
    assert.deepEqual([...decodeKrpc(a).t], [0, 1]);
    assert.deepEqual([...decodeKrpc(b).t], [0, 2]);
    assert.notEqual(a.buffer === b.buffer ? a.byteOffset : -1, b.byteOffset);
  });
});
