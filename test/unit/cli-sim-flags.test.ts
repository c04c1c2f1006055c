/**
 * The V8 flags `shoal sim swarm` (and bench/sim-swarm) re-runs itself with: a 64 MB young
 * generation, and an old space of 1 MB per peer plus 1 GB, within 80% of the machine's
 * memory. Without them a 10,000-peer run hit V8's ~4 GB default cap and spent ~75% of its
 * time in full collections.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { swarmNodeFlags } from '../../src/cli/sim.js';

const oldSpace = (flags: string[]): number => Number(flags.find((f) => f.startsWith('--max-old-space-size='))?.split('=')[1]);

describe('swarmNodeFlags', () => {
  it('gives a 64 MB young generation and an old space of 1 GB plus 1 MB a peer, within 80% of memory', () => {
    const cap = Math.floor((totalmem() / 1e6) * 0.8);
    for (const peers of [2, 1000, 10_000, 100_000]) {
      const flags = swarmNodeFlags(peers);
      assert.ok(flags.includes('--max-semi-space-size=64'));
      assert.ok(flags.includes('--min-semi-space-size=64'), 'the young generation at its size from the start');
      assert.equal(oldSpace(flags), Math.min(cap, 1024 + peers), `${peers} peers`);
    }
    assert.ok(oldSpace(swarmNodeFlags(100_000)) <= cap);
  });
});
