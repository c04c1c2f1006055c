/**
 * `--choker <policy>` of `get` and `seed`: tit-for-tat (the default) or tyrant (BitTyrant's
 * strategy, docs/swarm.md), handed to the session; anything else is a usage error (exit 2)
 * before any networking starts. That a session with the tyrant policy chokes differently is
 * shown in test/unit/swarm-tyrant and test/sim/swarm-tyrant.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHOKER_POLICIES, parseChoker } from '../../src/cli/net-args.js';
import { UsageError } from '../../src/cli/errors.js';
import { runCli } from '../interop/helpers.js';

describe('--choker', () => {
  it('takes tit-for-tat or tyrant; absent leaves the default to the session', () => {
    assert.equal(parseChoker(undefined), undefined);
    assert.deepEqual(parseChoker('tyrant'), { policy: 'tyrant' });
    assert.deepEqual(parseChoker('tit-for-tat'), { policy: 'tit-for-tat' });
    assert.deepEqual([...CHOKER_POLICIES], ['tit-for-tat', 'tyrant']);
  });

  it('refuses anything else, the simulator-only policies included', () => {
    for (const bad of ['', 'Tyrant', 'random', 'none', 'tit for tat']) assert.throws(() => parseChoker(bad), UsageError, bad);
  });

  it('shoal get and shoal seed exit 2 with the reason on a bad value', async () => {
    for (const args of [['get', 'x.torrent', '--choker', 'greedy'], ['seed', 'x.torrent', 'data', '--choker', 'random']]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--choker must be tit-for-tat or tyrant/);
    }
  });
});
