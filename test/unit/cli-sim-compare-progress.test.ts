import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { compareProgressBar } from '../../src/cli/sim-compare.js';

describe('shoal sim compare progress bar', () => {
  it('counts runs, not the bar\'s per-mille steps', () => {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    const bar = compareProgressBar(sink, { noTTYOutput: true });
    bar.start(1000, 100, { label: 'chord n=200', run: 3, runs: 24, phase: 'lookups' });
    bar.stop();
    assert.match(text, /run 3\/24 lookups/);
    assert.doesNotMatch(text, /run 3\/1000/);
  });
});
