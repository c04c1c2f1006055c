/**
 * When the wait for a peer's blocks starts (transfer.ts `waitingSince`), and what the steal
 * rule expects of a holder with no rate measured: both count from the moment we asked a peer
 * that owed us nothing, not from its last block. A peer that choked us for a minute and
 * unchoked us again is asked afresh; its requests must not time out at the next tick (the
 * tick drops requests waiting past REQUEST_TIMEOUT_MS and snubs the peer), nor be stolen
 * before it could send a block.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { BLOCK_LENGTH, PiecePicker } from '../../src/swarm/piece-picker.js';
import { RequestBudget } from '../../src/swarm/request-budget.js';
import { REQUEST_TIMEOUT_MS } from '../../src/swarm/defaults.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { fillRequests, stealFrom, waitingSince, type TransferContext } from '../../src/swarm/transfer.js';

type Ref = { index: number; begin: number; length: number };

/** A fake open connection that has every piece and unchokes us: only what fillRequests and the steal rule read. */
function peer(o: { lastBlockAt?: number; connectedAt?: number; rate?: number } = {}): PeerSession {
  const outstandingRequests = new Map<string, Ref>();
  return {
    closed: false, snubbed: false, isSeed: false, connectedAt: o.connectedAt ?? 0, lastBlockAt: o.lastBlockAt, requestsTimedOutAt: undefined,
    fastStartAt: undefined, fastStartBlocks: 0,
    download: { rate: () => o.rate ?? 0 },
    flush: () => {},
    conn: {
      state: 'open', amInterested: true, peerChoking: false, allowedFast: new Set<number>(), requestSlots: 250,
      peerPieces: { has: () => true }, outstandingRequests,
      request: (index: number, begin: number, length: number) => (outstandingRequests.set(`${index}:${begin}`, { index, begin, length }), true),
    },
  } as unknown as PeerSession;
}

function world() {
  let t = 0;
  const picker = new PiecePicker<PeerSession>(new Array(8).fill(4 * BLOCK_LENGTH), createRandom(1));
  picker.peerBitfield({ has: () => true }); // somebody has every piece
  const ctx = {
    runtime: { clock: { now: () => t } },
    picker, writeBacklog: 0, requests: new RequestBudget(64 * 1024 * 1024), limits: { download: [], upload: [] },
  } as unknown as TransferContext;
  return { ctx, at: (ms: number) => (t = ms) };
}

describe('the wait for a peer\'s blocks', () => {
  it('starts when we ask a peer that owed us nothing, not at its last block a minute ago', () => {
    const w = world();
    const p = peer({ lastBlockAt: 1_000 });
    w.at(61_000);
    fillRequests(w.ctx, p);
    assert.ok(p.conn.outstandingRequests.size > 0);
    assert.equal(waitingSince(p), 61_000);
    w.at(62_000);
    assert.ok(62_000 - waitingSince(p) < REQUEST_TIMEOUT_MS, 'the next tick does not time the fresh requests out');
  });

  it('is its last block while requests stay outstanding, and a new block restarts it', () => {
    const w = world();
    const p = peer({ lastBlockAt: 1_000 });
    w.at(2_000);
    fillRequests(w.ctx, p);
    w.at(5_000);
    fillRequests(w.ctx, p); // a refill with requests outstanding: the wait goes on
    assert.equal(waitingSince(p), 2_000);
    (p as { lastBlockAt: number }).lastBlockAt = 6_000;
    assert.equal(waitingSince(p), 6_000);
  });

  it('a peer never asked waits from its connection', () => {
    assert.equal(waitingSince(peer({ connectedAt: 500 })), 500);
  });
});

describe('stealing from a holder with no rate measured', () => {
  it('waits while the holder has had our requests for less than 2 s and 3x our time, then steals', () => {
    const w = world();
    const holder = peer({ lastBlockAt: undefined }); // on probation: never delivered
    w.at(10_000);
    fillRequests(w.ctx, holder);
    const [first] = [...holder.conn.outstandingRequests.values()];
    const fast = peer({ lastBlockAt: 9_000, rate: 4 * BLOCK_LENGTH }); // a block in 250 ms
    w.at(11_000);
    assert.equal(stealFrom(fast, 4 * BLOCK_LENGTH, 11_000)!(holder, first.index, first.begin), false, 'asked 1 s ago: it may be sending');
    w.at(12_500);
    assert.equal(stealFrom(fast, 4 * BLOCK_LENGTH, 12_500)!(holder, first.index, first.begin), true, 'silent for 2.5 s: taken');
    const slow = peer({ lastBlockAt: 9_000, rate: BLOCK_LENGTH / 2 }); // ours in 2 s: needs 6 s of silence
    assert.equal(stealFrom(slow, BLOCK_LENGTH / 2, 12_500)!(holder, first.index, first.begin), false);
  });
});
