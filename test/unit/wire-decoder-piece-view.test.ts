/**
 * A piece's block stays a view of the chunk it arrived in when only the 13-byte header
 * straddles the chunk before it (the block is not copied to join 8 bytes of header), and a
 * piece too short for its header is still refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageDecoder } from '../../src/wire/decoder.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { encodeMessage } from '../../src/wire/messages.js';

describe('piece blocks across chunk boundaries', () => {
  const block = new Uint8Array(16384).map((_, i) => i & 255);
  const bytes = encodeMessage({ type: 'piece', index: 7, begin: 16384, block });

  for (const split of [1, 4, 5, 9, 12, 13]) {
    it(`header split after ${split} bytes: the block is a view of the second chunk`, () => {
      const dec = new MessageDecoder();
      const second = bytes.slice(13); // a chunk of its own: the whole block
      dec.push(bytes.slice(0, split));
      dec.push(bytes.slice(split, 13));
      dec.push(second);
      const m = dec.next();
      assert.ok(m && m.type === 'piece');
      assert.equal(m.index, 7);
      assert.equal(m.begin, 16384);
      assert.deepEqual(m.block, block);
      assert.equal(m.block.buffer, second.buffer, 'no copy of the block');
      assert.equal(dec.bufferedBytes, 0);
    });
  }

  it('a block split over two chunks is assembled intact', () => {
    const dec = new MessageDecoder();
    dec.push(bytes.slice(0, 5000));
    dec.push(bytes.slice(5000));
    const m = dec.next();
    assert.ok(m && m.type === 'piece');
    assert.deepEqual(m.block, block);
  });

  it('a piece message shorter than its 8-byte header is malformed', () => {
    const dec = new MessageDecoder();
    dec.push(Uint8Array.of(0, 0, 0, 5, 7, 0, 0, 0, 1));
    assert.throws(() => dec.next(), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'malformed_message');
  });
});
