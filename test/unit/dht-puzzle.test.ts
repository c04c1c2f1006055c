import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PuzzleDirectory, puzzleBits, puzzleId, solvePuzzle } from '../../src/dht/puzzle.js';
import { SeededRandom } from '../../src/runtime/random.js';

describe('S/Kademlia crypto-puzzle node ids', () => {
  it('takes the id as SHA-1(key) and the work as the leading zero bits of SHA-1(SHA-1(key))', () => {
    const key = new Uint8Array(32).fill(7);
    const h1 = createHash('sha1').update(key).digest();
    assert.deepEqual(Buffer.from(puzzleId(key)), h1);
    const h2 = createHash('sha1').update(h1).digest();
    let zeros = 0;
    for (const b of h2) { if (b === 0) { zeros += 8; continue; } zeros += Math.clz32(b) - 24; break; }
    assert.equal(puzzleBits(key), zeros);
  });

  it('solves a puzzle in about 2^bits tries and the directory admits only solved keys', () => {
    const random = new SeededRandom(3);
    let tries = 0;
    const dir = new PuzzleDirectory(8);
    for (let i = 0; i < 40; i++) {
      const s = solvePuzzle(8, () => random.bytes(32));
      tries += s.tries;
      assert.ok(puzzleBits(s.publicKey) >= 8);
      assert.ok(dir.register(s.publicKey));
      assert.ok(dir.accepts(s.id));
    }
    assert.ok(tries / 40 > 128 && tries / 40 < 512, `${tries / 40} tries per id`);
    // A key that does not solve it is refused, and an id nobody proved is not admitted.
    let weak = random.bytes(32);
    while (puzzleBits(weak) >= 8) weak = random.bytes(32);
    assert.equal(dir.register(weak), false);
    assert.equal(dir.accepts(puzzleId(weak)), false);
    assert.equal(dir.accepts(new Uint8Array(5)), false, 'a malformed id is refused, not thrown on');
    assert.throws(() => solvePuzzle(8, () => weak, 3), /no key solved/);
  });
});
