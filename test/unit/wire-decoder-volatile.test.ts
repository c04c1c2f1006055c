import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageDecoder } from '../../src/wire/decoder.js';
import { encodeMessage, type WireMessage } from '../../src/wire/messages.js';
import { SeededRandom } from '../../src/runtime/random.js';

describe('the wire decoder over a reused read buffer', () => {
  it('decodes every message intact when each chunk is overwritten after settle()', () => {
    const msgs: WireMessage[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 5 === 0) msgs.push({ type: 'have', index: i });
      else if (i % 7 === 0) msgs.push({ type: 'bitfield', bitfield: new Uint8Array(40).fill(i & 255) });
      else msgs.push({ type: 'piece', index: i, begin: 0, block: new Uint8Array(16384).fill(i & 255) });
    }
    const stream = Buffer.concat(msgs.map((m) => encodeMessage(m)));
    const rnd = new SeededRandom(3);
    const dec = new MessageDecoder();
    // A Node Buffer, like the one a socket reads into (its slice() is a view, not a copy).
    const reused = Buffer.alloc(70_000);
    const kept: WireMessage[] = [];
    let bad = 0;
    for (let pos = 0; pos < stream.length; ) {
      const n = Math.min(stream.length - pos, 1 + rnd.int(65_536));
      stream.copy(reused, 0, pos, pos + n);
      pos += n;
      dec.push(reused.subarray(0, n), true);
      for (let m = dec.next(); m; m = dec.next()) {
        const want = msgs[kept.length];
        // A piece block is a view: check it now, before the buffer is reused.
        if (m.type === 'piece' && (want.type !== 'piece' || m.index !== want.index || m.block.some((b) => b !== (want.index & 255)))) bad++;
        kept.push(m);
      }
      dec.settle();
      reused.fill(0xee);
    }
    assert.equal(bad, 0);
    assert.equal(kept.length, msgs.length);
    // Everything but piece blocks was copied out, so it survived the overwrites.
    kept.forEach((m, i) => {
      const want = msgs[i];
      if (m.type === 'bitfield' && want.type === 'bitfield') assert.deepEqual([...m.bitfield], [...want.bitfield]);
      if (m.type === 'have' && want.type === 'have') assert.equal(m.index, want.index);
    });
  });
});
