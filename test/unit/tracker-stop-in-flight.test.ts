/**
 * `Announcer.stop` waits for an announce in flight at most `STOP_IN_FLIGHT_WAIT_MS`, then sends
 * `stopped`: a `completed` whose datagram was lost would otherwise hold the `stopped` behind its
 * retransmit past the caller's deadline, and the tracker would go on listing a peer that left.
 * (One that answers in time still lands first: tracker-server.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Announcer, STOP_IN_FLIGHT_WAIT_MS } from '../../src/tracker/announcer.js';
import type { AnnounceRequest, AnnounceResponse } from '../../src/tracker/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const bytes = (n: number) => new Uint8Array(20).fill(n);
const settle = () => new Promise((r) => setImmediate(r));

describe('Announcer.stop with an announce in flight', () => {
  it('sends stopped once the announce in flight has had its wait, even if it never answers', async () => {
    const clock = new FakeClock();
    const sent: { event: string; at: number }[] = [];
    const client = {
      announce: (_url: string, r: AnnounceRequest): Promise<AnnounceResponse> => {
        sent.push({ event: r.event, at: clock.now() });
        // `started` and `stopped` are answered; `completed` is lost (never answered).
        return r.event === 'completed' ? new Promise(() => undefined) : Promise.resolve({ interval: 1800, peers: [] });
      },
    };
    let left = 100;
    const a = new Announcer({ client, clock, random: createRandom(1), tiers: [['udp://10.0.0.9:6969']], infoHash: bytes(1), peerId: bytes(2), port: 6881, counters: () => ({ uploaded: 0, downloaded: 100 - left, left }), onPeers: () => undefined });
    a.start();
    await settle();
    left = 0;
    a.completed();
    await settle();
    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    await settle();
    assert.deepEqual(sent.map((s) => s.event), ['started', 'completed'], 'stopped waits for the announce in flight');
    clock.advance(STOP_IN_FLIGHT_WAIT_MS);
    await settle();
    await settle();
    assert.deepEqual(sent.map((s) => s.event), ['started', 'completed', 'stopped']);
    assert.equal(sent[2].at, STOP_IN_FLIGHT_WAIT_MS);
    await stopping;
    assert.ok(stopped);
  });
});
