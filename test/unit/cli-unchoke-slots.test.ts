/**
 * `--unchoke-slots <n|auto>` of `get` and `seed`: a whole number of regular unchoke slots or
 * the rate-based 'auto', handed to the session (docs/cli.md, docs/swarm.md); anything else is
 * a usage error (exit 2) before any networking starts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_UNCHOKE_SLOTS, parseUnchokeSlots } from '../../src/cli/net-args.js';
import { UsageError } from '../../src/cli/errors.js';
import { runCli } from '../interop/helpers.js';

describe('--unchoke-slots', () => {
  it('takes a number of slots or auto; absent leaves the default to the session', () => {
    assert.equal(parseUnchokeSlots(undefined), undefined);
    assert.equal(parseUnchokeSlots('auto'), 'auto');
    assert.equal(parseUnchokeSlots('1'), 1);
    assert.equal(parseUnchokeSlots('16'), 16);
    assert.equal(parseUnchokeSlots(String(MAX_UNCHOKE_SLOTS)), MAX_UNCHOKE_SLOTS);
  });

  it('refuses zero, negatives, fractions, words and more than the maximum', () => {
    for (const bad of ['0', '-1', '2.5', 'eight', '', ' 8', String(MAX_UNCHOKE_SLOTS + 1), '1e3']) {
      assert.throws(() => parseUnchokeSlots(bad), UsageError, bad);
    }
  });

  it('shoal get and shoal seed exit 2 with the reason on a bad value', async () => {
    for (const args of [['get', 'x.torrent', '--unchoke-slots', 'many'], ['seed', 'x.torrent', 'data', '--unchoke-slots', '0']]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--unchoke-slots must be a number from 1 to 500 or auto/);
    }
  });
});
