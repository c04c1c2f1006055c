import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Dht } from '../../src/dht/dht.js';
import { DhtScheduler } from '../../src/daemon/service/dht-scheduler.js';
import type { TorrentEntry } from '../../src/daemon/service/torrent-entry.js';
import type { Address } from '../../src/runtime/types.js';
import { createRandom } from '../../src/runtime/random.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('daemon DHT scheduler: re-asking when a lookup found nobody', () => {
  it('looks a downloading torrent up again 15, 30, 60 s after empty lookups, then every 5 minutes once one finds peers', async () => {
    let found: Address[] = [];
    // A fake node (only what dhtRound calls): yields `found`, announces nothing.
    const dht = {
      peers: async function* () {
        yield* found;
      },
      announce: () => Promise.resolve(),
    } as unknown as Dht;
    const added: Address[] = [];
    const entry = { torrent: undefined, record: { complete: false }, swarm: { infoHashV1: new Uint8Array(20), addPeer: (a: Address) => added.push(a) } } as unknown as TorrentEntry;
    const s = new DhtScheduler(() => dht, () => 6881, createRandom(1));
    s.add(entry, 0);
    const lookupsAt = async (now: number) => {
      s.tick(now);
      await settle();
      return s.lookups;
    };
    assert.equal(await lookupsAt(0), 1);
    assert.equal(await lookupsAt(14_999), 1);
    assert.equal(await lookupsAt(15_000), 2, 'a fresh magnet does not wait 5 minutes');
    assert.equal(await lookupsAt(44_999), 2);
    assert.equal(await lookupsAt(45_000), 3);
    found = [{ host: '10.0.0.7', port: 6881 }];
    assert.equal(await lookupsAt(105_000), 4);
    assert.equal(added.length, 1);
    assert.equal(await lookupsAt(120_000), 4, 'peers found: back to the normal period');
    assert.equal(await lookupsAt(405_000), 5);
    s.close();
  });
});
