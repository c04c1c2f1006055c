/**
 * A `stopped` announce over UDP (BEP 15) is resent after 1 s, not BEP 15's 15 s: a client
 * sends it as it shuts down, within a deadline of a few seconds, and one lost datagram would
 * leave it listed at the tracker for other peers to dial in vain. Other announces keep the
 * client's own schedule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import type { AnnounceEvent, AnnounceRequest } from '../../src/tracker/types.js';
import { UdpTrackerClient } from '../../src/tracker/udp-client.js';
import * as udpc from '../../src/tracker/udp-codec.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';

const TRACKER = { host: '10.0.0.9', port: 6969 };

function request(event: AnnounceEvent): AnnounceRequest {
  return { infoHash: new Uint8Array(20).fill(1), peerId: new Uint8Array(20).fill(2), port: 6881, uploaded: 0, downloaded: 0, left: 0, event, numwant: 0 };
}

/** A tracker that answers connects at once and drops the first announce it is sent. */
function lossyTracker(clock: FakeClock, ep: FakeUdpEndpoint): { announcesAt: number[] } {
  const announcesAt: number[] = [];
  ep.onSend = (d) => {
    const req = udpc.decodeRequest(d.data);
    if (req.action === 'connect') return void queueMicrotask(() => ep.deliver(udpc.encodeConnectReply(req.tid, 7n), TRACKER));
    if (req.action !== 'announce') return;
    announcesAt.push(clock.now());
    if (announcesAt.length === 1) return; // lost
    queueMicrotask(() => ep.deliver(udpc.encodeAnnounceReply(req.tid, { interval: 1800, peers: [] }, 4), TRACKER));
  };
  return { announcesAt };
}

async function announceWithOneLoss(event: AnnounceEvent): Promise<number[]> {
  const clock = new FakeClock();
  const ep = new FakeUdpEndpoint({ host: '10.0.0.1', port: 40000 }, clock);
  const t = lossyTracker(clock, ep);
  const client = new UdpTrackerClient({ endpoint: ep, clock, random: createRandom(1) });
  let done = false;
  const p = client.announce(`udp://${TRACKER.host}:${TRACKER.port}`, request(event)).then(() => (done = true));
  for (let ms = 0; ms < 20_000 && !done; ms += 250) {
    await new Promise((r) => setImmediate(r));
    clock.advance(250);
  }
  await p;
  client.close();
  return t.announcesAt;
}

describe('UDP tracker client: a stopped announce', () => {
  it('is resent after 1 s when the first is lost', async () => {
    const at = await announceWithOneLoss('stopped');
    assert.equal(at.length, 2);
    assert.equal(at[1] - at[0], 1000);
  });

  it('other announces keep BEP 15 schedule (15 s)', async () => {
    const at = await announceWithOneLoss('none');
    assert.equal(at.length, 2);
    assert.equal(at[1] - at[0], 15_000);
  });
});
