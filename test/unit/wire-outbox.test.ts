import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../src/wire/outbox.js';
import { decodeMessageBody, type WireMessage } from '../../src/wire/messages.js';

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('Outbox', () => {
  it('holds a small buffer for a connection that sends little, growing to 16 KiB for one that sends more', () => {
    const o = new Outbox();
    o.message({ type: 'interested' });
    o.message({ type: 'have', index: 7 });
    const first = o.take();
    assert.equal(first.length, 1, 'packed into one chunk');
    assert.ok(first[0].buffer.byteLength <= 256, `the first scratch buffer is ${first[0].buffer.byteLength} bytes`);
    const sizes = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      o.message({ type: 'have', index: i });
      if (i % 100 === 99) for (const c of o.take()) sizes.add(c.buffer.byteLength);
    }
    assert.equal(Math.max(...sizes), 16 * 1024, 'buffers double up to 16 KiB');
  });

  it('cuts chunks where a 16 KiB window fills or the connection was drained, however the memory grew', () => {
    const o = new Outbox();
    for (let i = 0; i < 2_000; i++) o.message({ type: 'have', index: i }); // 9 bytes each
    assert.deepEqual(o.take().map((c) => c.length), [Math.floor(16_384 / 9) * 9, 2_000 * 9 - Math.floor(16_384 / 9) * 9]);
    const p = new Outbox();
    const lengths: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      p.message({ type: 'have', index: i });
      if (i % 300 === 299) lengths.push(...p.take().map((c) => c.length));
    }
    lengths.push(...p.take().map((c) => c.length));
    // Takes every 2,700 bytes; the first window (16,380 bytes: 1,820 haves) ends inside the last take.
    assert.deepEqual(lengths, [2_700, 2_700, 2_700, 2_700, 2_700, 2_700, 180, 1_620]);
  });

  it('keeps every message whole and in order across buffer boundaries', () => {
    const o = new Outbox();
    const sent: WireMessage[] = [];
    for (let i = 0; i < 3_000; i++) {
      const m: WireMessage = i % 3 === 0 ? { type: 'request', index: i, begin: 16_384, length: 16_384 } : { type: 'have', index: i };
      sent.push(m);
      o.message(m);
    }
    const bytes = concat(o.take());
    const got: WireMessage[] = [];
    for (let at = 0; at < bytes.length;) {
      const len = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
      got.push(decodeMessageBody(bytes[at + 4], bytes.subarray(at + 5, at + 4 + len)));
      at += 4 + len;
    }
    assert.deepEqual(got, sent);
  });
});
