/**
 * Property tests of the incremental piece picker against the semantics of the scanning
 * picker it replaced (test/helpers/reference-picker.ts): rarest first within priority,
 * partial pieces first, the streaming window, end game, done and interest.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import type { Random } from '../../src/runtime/types.js';
import { Bitfield } from '../../src/util/bitfield.js';
import { BLOCK_LENGTH, PiecePicker, type BlockRef } from '../../src/swarm/piece-picker.js';
import { ReferencePicker } from '../helpers/reference-picker.js';

const PIECE = 3 * BLOCK_LENGTH;

function sizes(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? PIECE - 5000 : PIECE));
}

function randomBits(r: Random, n: number, density: number): Bitfield {
  const b = new Bitfield(n);
  for (let i = 0; i < n; i++) if (r.next() < density) b.set(i);
  return b;
}

const key = (b: { index: number; begin: number }) => `${b.index}:${b.begin}`;

describe('PiecePicker against the scanning reference', () => {
  it('makes exactly the same picks when no two pieces tie (20 seeded runs of 400 operations)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = createRandom(seed);
      const n = 150 + r.int(100);
      const fresh = new PiecePicker<string>(sizes(n), createRandom(1000 + seed), { randomFirstPieces: 0 });
      const ref = new ReferencePicker<string>(sizes(n), createRandom(2000 + seed), { randomFirstPieces: 0 });
      // Availabilities 10 apart (a few have/lost moves keep them distinct): no ties.
      const order = Array.from({ length: n }, (_, i) => i).sort(() => r.next() - 0.5);
      const moved = new Int32Array(n);
      order.forEach((piece, rank) => {
        for (let k = 0; k < 10 * (rank + 1); k++) {
          fresh.peerHas(piece);
          ref.peerHas(piece);
        }
      });
      for (let i = 0; i < n; i++) if (r.next() < 0.3) {
        const prio = 1 + r.int(7);
        fresh.setPriority(i, prio);
        ref.setPriority(i, prio);
      }
      if (r.next() < 0.5) {
        const from = r.int(n), size = 1 + r.int(4);
        fresh.setStreamingWindow(from, size);
        ref.setStreamingWindow(from, size);
      }
      const peers = ['a', 'b', 'c', 'd'];
      const bits = new Map(peers.map((p) => [p, randomBits(r, n, 0.7)]));
      const outstanding: { peer: string; block: BlockRef }[] = [];
      for (let step = 0; step < 400; step++) {
        const op = r.int(10);
        if (op < 4) {
          const peer = peers[r.int(peers.length)];
          const seed = r.next() < 0.25;
          const ctx = { peer, has: seed ? Bitfield.full(n) : bits.get(peer)!, isSeed: seed };
          const count = 1 + r.int(12);
          const got = fresh.pick(ctx, count);
          const want = ref.pick(ctx, count);
          // End game differs on purpose (one busy block for an idle peer, not a full queue of them).
          if (fresh.inEndGame) {
            assert.deepEqual(got, want.slice(0, got.length), `seed ${seed} step ${step}: same blocks up to end game`);
            break;
          }
          assert.deepEqual(got, want, `seed ${seed} step ${step}: same blocks`);
          for (const block of got) outstanding.push({ peer, block });
        } else if (op < 7 && outstanding.length > 0) {
          const { peer, block } = outstanding.splice(r.int(outstanding.length), 1)[0];
          const a = fresh.blockReceived(block, peer), b = ref.blockReceived(block, peer);
          assert.deepEqual(a, b, `step ${step}: same receipt`);
          if (a.pieceComplete) {
            const ok = r.next() < 0.8;
            if (ok) {
              fresh.pieceVerified(block.index);
              ref.pieceVerified(block.index);
            } else {
              fresh.pieceFailed(block.index);
              ref.pieceFailed(block.index);
            }
            for (let k = outstanding.length - 1; k >= 0; k--) if (outstanding[k].block.index === block.index) outstanding.splice(k, 1);
          }
        } else if (op < 8 && outstanding.length > 0) {
          const { peer, block } = outstanding.splice(r.int(outstanding.length), 1)[0];
          fresh.requestDropped(block, peer);
          ref.requestDropped(block, peer);
        } else {
          const piece = r.int(n);
          const up = moved[piece] < 4 && (moved[piece] <= -4 || r.next() < 0.5);
          moved[piece] += up ? 1 : -1;
          if (up) {
            fresh.peerHas(piece);
            ref.peerHas(piece);
          } else {
            fresh.peerLost(piece);
            ref.peerLost(piece);
          }
        }
        assert.equal(fresh.done, ref.done);
        assert.equal(fresh.inEndGame, ref.inEndGame);
        for (const p of peers) assert.equal(fresh.interestedIn(bits.get(p)!), ref.interestedIn(bits.get(p)!));
      }
    }
  });

  it('starts only the best pieces by priority then rarity, partial pieces first, with ties and seeds (30 seeded runs)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = createRandom(seed);
      const n = 30 + r.int(100);
      const p = new PiecePicker<string>(sizes(n), createRandom(seed), { randomFirstPieces: 0 });
      // The model: availability, priorities, pieces had, blocks requested or received per started piece.
      const avail = new Int32Array(n);
      const prio = new Uint8Array(n).fill(1);
      const have = new Uint8Array(n);
      const started = new Map<number, Set<string>>();
      const received = new Set<string>();
      /** `${peer}|${block}` -> the request */
      const owners = new Map<string, { peer: string; block: BlockRef }>();
      const bits = new Map<string, Bitfield>();
      const seedPeers = new Set<string>();
      let joined = 0;
      const join = () => {
        const name = `p${joined++}`;
        if (r.next() < 0.3) {
          seedPeers.add(name);
          p.addSeed();
          bits.set(name, Bitfield.full(n));
        } else {
          const b = randomBits(r, n, r.next());
          p.peerBitfield(b);
          for (const i of b.indices()) avail[i]++;
          bits.set(name, b);
        }
      };
      const forget = (peer: string, block: BlockRef) => {
        owners.delete(`${peer}|${key(block)}`);
        p.requestDropped(block, peer);
        const k = key(block);
        const blocks = started.get(block.index);
        if (!blocks || received.has(k) || [...owners.values()].some((o) => key(o.block) === k)) return;
        // The piece stays started (the picker keeps its partial, so a late answer is still taken).
        blocks.delete(k);
      };
      for (let k = 0; k < 5; k++) join();
      for (let i = 0; i < n; i++) if (r.next() < 0.2) {
        prio[i] = r.int(8);
        p.setPriority(i, prio[i]);
      }
      const seeds = () => seedPeers.size;
      for (let step = 0; step < 300; step++) {
        const names = [...bits.keys()];
        const op = r.int(11);
        if (op < 4 && names.length > 0) {
          const peer = names[r.int(names.length)];
          const has = bits.get(peer)!;
          const endGame = p.inEndGame;
          const outstanding = [...owners.values()].filter((o) => o.peer === peer).length;
          const got = p.pick({ peer, has, isSeed: seedPeers.has(peer), outstanding }, 1 + r.int(10));
          if (got.some((b) => started.get(b.index)?.has(key(b)))) {
            assert.ok(outstanding === 0 && got.length === 1, 'an end game duplicate goes only to an idle peer, one at a time');
          }
          for (const block of got) {
            assert.ok(has.has(block.index), 'only pieces the peer has');
            assert.ok(prio[block.index] > 0 && !have[block.index], 'only wanted pieces');
            const k = key(block);
            if (!endGame && !p.inEndGame) assert.ok(!started.get(block.index)?.has(k), `no duplicate request outside end game (${k})`);
            if (!started.has(block.index)) {
              for (const [i, blocks] of started) assert.ok(!has.has(i) || blocks.size >= p.blockCount(i), `partial piece ${i} is finished first`);
              let bestPrio = 0, bestAvail = Infinity;
              for (let i = 0; i < n; i++) {
                if (started.has(i) || have[i] || prio[i] === 0 || avail[i] + seeds() === 0 || !has.has(i)) continue;
                if (prio[i] > bestPrio || (prio[i] === bestPrio && avail[i] < bestAvail)) {
                  bestPrio = prio[i];
                  bestAvail = avail[i];
                }
              }
              assert.equal(prio[block.index], bestPrio, `seed ${seed} step ${step}: highest priority`);
              assert.equal(avail[block.index], bestAvail, `seed ${seed} step ${step}: rarest`);
              started.set(block.index, new Set());
            }
            started.get(block.index)!.add(k);
            owners.set(`${peer}|${k}`, { peer, block });
          }
        } else if (op < 7 && owners.size > 0) {
          const { peer, block } = [...owners.values()][r.int(owners.size)];
          const k = key(block);
          for (const [ok, o] of owners) if (key(o.block) === k) owners.delete(ok);
          const res = p.blockReceived(block, peer);
          assert.ok(res.accepted);
          received.add(k);
          if (res.pieceComplete) {
            if (r.next() < 0.85) {
              p.pieceVerified(block.index);
              have[block.index] = 1;
            } else p.pieceFailed(block.index);
            started.delete(block.index);
            for (let b = 0; b < p.blockCount(block.index); b++) received.delete(`${block.index}:${b * BLOCK_LENGTH}`);
            for (const [ok, o] of owners) if (o.block.index === block.index) owners.delete(ok);
          }
        } else if (op < 8 && owners.size > 0) {
          const { peer, block } = [...owners.values()][r.int(owners.size)];
          forget(peer, block);
        } else if (op < 9) {
          const i = r.int(n);
          p.peerHas(i);
          avail[i]++;
        } else if (op < 10 && names.length > 2) {
          // A peer leaves: its requests go back, its pieces stop counting.
          const gone = names[r.int(names.length)];
          if (seedPeers.delete(gone)) p.removeSeed();
          else {
            const b = bits.get(gone)!;
            p.peerBitfield(b, -1);
            for (const i of b.indices()) avail[i]--;
          }
          bits.delete(gone);
          for (const o of [...owners.values()]) if (o.peer === gone) forget(gone, o.block);
        } else if (names.length < 8) join();
        for (let i = 0; i < n; i++) assert.equal(p.availabilityOf(i), avail[i] + seeds());
        let missing = 0;
        for (let i = 0; i < n; i++) if (prio[i] > 0 && !have[i]) missing++;
        assert.equal(p.done, missing === 0);
        for (const b of bits.values()) {
          let want = false;
          for (let i = 0; i < n && !want; i++) want = prio[i] > 0 && !have[i] && b.has(i);
          assert.equal(p.interestedIn(b), want);
          assert.equal(p.interestedIn({ has: (i: number) => b.has(i) }), want, 'the scan for a peer given as a has() function');
        }
      }
    }
  });
});
