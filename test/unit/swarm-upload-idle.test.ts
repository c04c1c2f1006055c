/**
 * An upload that runs out of requests (uploads.ts `noteIfIdle`): when the last waiting
 * request of the peers we unchoke has been read and interested peers wait choked, the
 * choker opens a demand slot at once (choker.ts `noteUploadIdle`) and the swarm fills it;
 * at most one per `DEMAND_OPEN_MS`, none while another unchoked peer still has a request
 * waiting or nobody waits. The swarm's tick alone samples one instant a second.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Choker } from '../../src/swarm/choker.js';
import { DEMAND_OPEN_MS } from '../../src/swarm/demand-slots.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import type { TransferContext } from '../../src/swarm/transfer.js';
import { pumpUploads } from '../../src/swarm/uploads.js';

/** A fake peer: only what uploads.ts reads of one with no request left to read (or `waiting` of them), its `requestWaiting` getter too. */
function peer(amChoking: boolean, peerInterested: boolean, waiting = 0) {
  const peerRequests = new Map<string, { index: number; begin: number; length: number }>();
  for (let i = 0; i < waiting; i++) peerRequests.set(`${i}`, { index: i, begin: 0, length: 16 * 1024 });
  const fake = {
    closed: false,
    uploading: new Set<string>(),
    conn: { amChoking, peerInterested, state: 'open', peerRequests },
    // As PeerSession's getter: a request of its waiting for a disk read.
    get requestWaiting(): boolean {
      return fake.conn.peerRequests.size > fake.uploading.size;
    },
  };
  return fake as unknown as PeerSession;
}

function world(peers: PeerSession[], options: { maxDemandSlots?: number } = {}) {
  let t = 10_000;
  const choker = new Choker<PeerSession>(createRandom(1), { regularSlots: 2, ...options });
  let fills = 0;
  const ctx = {
    runtime: { clock: { now: () => t } },
    storage: {},
    choker,
    unchoked: new Set(peers.filter((p) => !p.conn.amChoking)),
    peers: new Map(peers.map((p, i) => [`${i}`, p])),
    fillSlots: () => void fills++,
  } as unknown as TransferContext;
  return { ctx, choker, fills: () => fills, advance: (ms: number) => (t += ms) };
}

describe('an upload that runs out of requests opens a demand slot', () => {
  it('opens one at once while interested peers wait choked, then at most one per DEMAND_OPEN_MS', () => {
    const dry = peer(false, true);
    const w = world([dry, peer(false, true), peer(true, true)]);
    pumpUploads(w.ctx, dry);
    assert.equal(w.choker.openDemandSlots, 1, 'no tick waited for');
    assert.equal(w.fills(), 1, 'and the swarm fills it');
    w.advance(DEMAND_OPEN_MS - 1);
    pumpUploads(w.ctx, dry);
    assert.equal(w.choker.openDemandSlots, 1, 'too soon for another');
    w.advance(1);
    pumpUploads(w.ctx, dry);
    assert.equal(w.choker.openDemandSlots, 2);
    assert.equal(w.fills(), 2);
  });

  it('opens none while another unchoked peer has a request waiting, nobody waits choked, or the peer is choked', () => {
    const dry = peer(false, true);
    const busy = world([dry, peer(false, true, 1), peer(true, true)]);
    pumpUploads(busy.ctx, dry);
    assert.equal(busy.choker.openDemandSlots, 0, 'our upload still has a request to serve');
    const nobody = world([dry, peer(false, true), peer(true, false)]);
    pumpUploads(nobody.ctx, dry);
    assert.equal(nobody.choker.openDemandSlots, 0, 'nobody interested waits choked');
    const choked = peer(true, true);
    const w = world([choked, peer(true, true)]);
    pumpUploads(w.ctx, choked);
    assert.equal(w.choker.openDemandSlots, 0, 'a choked peer running dry says nothing of our upload');
    const off = world([dry, peer(true, true)], { maxDemandSlots: 0 });
    pumpUploads(off.ctx, dry);
    assert.equal(off.choker.openDemandSlots, 0, 'maxDemandSlots 0: fixed slots');
    assert.equal(busy.fills() + nobody.fills() + w.fills() + off.fills(), 0);
  });
});
