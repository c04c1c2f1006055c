import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { progressLine } from '../../src/cli/progress.js';
import type { SwarmStats } from '../../src/swarm/types.js';

const stats = (o: Partial<SwarmStats>): SwarmStats => ({
  peers: 3, downloadRate: 2048, uploadRate: 0, downloaded: 0, uploaded: 0, wasted: 0,
  have: 0, total: 0, bytesHave: 0, bytesTotal: 0, banned: 0, complete: false, ...o,
});

describe('shoal get progress line', () => {
  it('says a magnet is fetching its metadata instead of showing 0.0% with no ETA', () => {
    const line = progressLine(stats({}), false);
    assert.match(line, /fetching metadata/);
    assert.match(line, /peers 3/);
    assert.doesNotMatch(line, /%/);
  });
  it('shows percent, rates, peers and an ETA once the torrent is known', () => {
    const line = progressLine(stats({ bytesHave: 512, bytesTotal: 2048, have: 1, total: 4, downloadRate: 512 }));
    assert.match(line, /25\.0%/);
    assert.match(line, /peers 3/);
    assert.match(line, /ETA 0:03/);
  });
});
