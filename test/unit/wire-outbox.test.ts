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
  it('holds a small buffer for a connection that sends little, growing to 16 KiB within a burst', () => {
    const o = new Outbox();
    o.message({ type: 'interested' });
    o.message({ type: 'have', index: 7 });
    assert.ok(o.heldBytes > 0 && o.heldBytes <= 256, `the first window memory is ${o.heldBytes} bytes`);
    const first = o.take();
    assert.equal(first.length, 1, 'packed into one chunk');
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      o.message({ type: 'have', index: i });
      most = Math.max(most, o.heldBytes);
    }
    assert.equal(most, 16 * 1024, 'memory doubles up to the 16 KiB window');
  });

  it('lets go of its memory when drained; the next burst gets a small buffer of its own', () => {
    const a = new Outbox();
    for (let i = 0; i < 1_000; i++) a.message({ type: 'have', index: i });
    assert.ok(a.heldBytes >= 8 * 1024, `a burst of 9,000 bytes holds ${a.heldBytes}`);
    const [ca] = a.take();
    assert.equal(a.heldBytes, 0, 'a drained outbox holds no window memory');
    const before = [...ca];
    a.message({ type: 'have', index: 1 });
    assert.ok(a.heldBytes > 0 && a.heldBytes <= 256, `the next burst holds ${a.heldBytes}`);
    // The chunk handed out before is never written again.
    for (let i = 0; i < 100; i++) a.message({ type: 'have', index: 1_000 + i });
    assert.deepEqual([...ca], before);
    assert.equal(a.take().reduce((n, c) => n + c.length, 0), 909);
  });

  it('keeps a first-size buffer across drains, never writing over a chunk it handed out', () => {
    const o = new Outbox();
    const taken: [Uint8Array, number[]][] = [];
    for (let burst = 0; burst < 100; burst++) {
      o.message({ type: 'have', index: burst });
      o.message({ type: 'interested' });
      const chunks = o.take();
      assert.ok(o.heldBytes <= 256, `a drained outbox of small bursts holds ${o.heldBytes} bytes`);
      for (const c of chunks) taken.push([c, [...c]]);
    }
    assert.ok(o.heldBytes > 0, 'the small buffer is kept for the next burst');
    for (const [c, bytes] of taken) assert.deepEqual([...c], bytes);
    const all = concat(taken.map(([c]) => c));
    assert.equal(all.length, 100 * 14);
    assert.deepEqual(decodeMessageBody(all[9 * 14 + 4], all.subarray(9 * 14 + 5, 9 * 14 + 9)), { type: 'have', index: 9 });
  });

  it('writes a have as message() would, in both framings', () => {
    const a = new Outbox(), b = new Outbox();
    for (let i = 0; i < 3_000; i++) {
      a.have(i * 7919);
      b.message({ type: 'have', index: i * 7919 });
      if (i % 37 === 0) assert.deepEqual(concat(a.take()), concat(b.take()));
    }
    assert.equal(a.queuedBytes, b.queuedBytes);
    assert.deepEqual(concat(a.take()), concat(b.take()));
    const f = new Outbox('messages');
    f.have(5);
    assert.deepEqual(f.takeFrames(), [{ type: 'have', index: 5 }]);
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
