import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleDhtRounds, RELOOKUP_MS } from '../../src/session/dht-peers.js';
import { createRandom } from '../../src/runtime/random.js';
import type { Clock, TimerHandle } from '../../src/runtime/types.js';
import { Announcer } from '../../src/tracker/announcer.js';
import type { AnnounceRequest, AnnounceResponse } from '../../src/tracker/types.js';
import { reaskDelay } from '../../src/util/backoff.js';

/** Virtual time: timers fire in order as the test advances the clock. */
class ManualClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; dead: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const e = { at: this.t + ms, fn, dead: false };
    this.timers.push(e);
    return { cancel: () => void (e.dead = true) };
  }
  /** Runs timers due up to now + ms, letting promise chains settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((x) => !x.dead && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      next.dead = true;
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await settle();
  }
}
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('re-asking a peer source that found nobody', () => {
  it('waits 15 s, then doubles, up to the normal interval; a round with peers resets it', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => reaskDelay(n, 300_000)), [15_000, 30_000, 60_000, 120_000, 240_000, 300_000]);
    assert.equal(reaskDelay(0, 300_000), 300_000);
    assert.equal(reaskDelay(1000, 300_000), 300_000, 'no overflow on a long run');
  });

  it('re-announces to a tracker at 15, 30, 60 s after empty answers while downloading, then at the interval once peers come', async () => {
    const clock = new ManualClock();
    const at: number[] = [];
    let peers: AnnounceResponse['peers'] = [];
    const client = {
      announce: (_url: string, _r: AnnounceRequest): Promise<AnnounceResponse> => {
        at.push(clock.now());
        return Promise.resolve({ interval: 1800, peers });
      },
    };
    const a = new Announcer({ client, clock, random: createRandom(1), tiers: [['http://t']], infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 6881, counters: () => ({ uploaded: 0, downloaded: 0, left: 100 }), onPeers: () => undefined });
    a.start();
    await clock.advance(105_000);
    assert.deepEqual(at, [0, 15_000, 45_000, 105_000]);
    peers = [{ host: '10.0.0.1', port: 6881 }];
    await clock.advance(120_000); // the 4th empty answer set 120 s: this one finds a peer
    assert.deepEqual(at, [0, 15_000, 45_000, 105_000, 225_000]);
    await clock.advance(1_799_000);
    assert.equal(at.length, 5, 'with peers, the next announce waits the interval');
    await clock.advance(1000);
    assert.deepEqual(at.slice(5), [2_025_000]);
    await a.stop();
  });

  it('keeps the normal interval for a seeder, and never re-announces sooner than min interval', async () => {
    for (const [left, minInterval, expected] of [[0, undefined, [0, 1800_000]], [100, 40, [0, 40_000, 80_000, 140_000]]] as const) {
      const clock = new ManualClock();
      const at: number[] = [];
      const client = {
        announce: (): Promise<AnnounceResponse> => {
          at.push(clock.now());
          return Promise.resolve({ interval: 1800, minInterval, peers: [] });
        },
      };
      const a = new Announcer({ client, clock, random: createRandom(1), tiers: [['http://t']], infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 6881, counters: () => ({ uploaded: 0, downloaded: 0, left }), onPeers: () => undefined });
      a.start();
      await clock.advance(expected.at(-1)!);
      assert.deepEqual(at, expected, `left ${left}`);
      await a.stop();
    }
  });

  it('looks the DHT up again 15, 30, 60 s after lookups that found nobody, then every 5 minutes once one finds peers', async () => {
    const clock = new ManualClock();
    const at: number[] = [];
    const found = [0, 0, 0, 3, 0];
    const rounds = scheduleDhtRounds({ clock }, () => {
      at.push(clock.now());
      return Promise.resolve(found.shift() ?? 0);
    }, Promise.resolve());
    await clock.advance(105_000);
    assert.deepEqual(at, [0, 15_000, 45_000, 105_000], 'a fresh magnet does not wait 5 minutes');
    await clock.advance(RELOOKUP_MS);
    assert.deepEqual(at.slice(4), [105_000 + RELOOKUP_MS]);
    await clock.advance(15_000);
    assert.deepEqual(at.slice(5), [120_000 + RELOOKUP_MS], 'empty again: soon again');
    rounds.stop();
    await clock.advance(RELOOKUP_MS);
    assert.equal(at.length, 6, 'nothing after stop');
  });
});
