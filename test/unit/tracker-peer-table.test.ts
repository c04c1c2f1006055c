/**
 * `PeerTable` against a plain Map model under random inserts, role changes, removals and
 * expiry, across the scan/indexed boundary: every peer is found at a position of the right
 * role, counts agree, and `copyOut` lists distinct stored peers, never the skipped one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PeerTable } from '../../src/tracker/peer-table.js';

const entry = (n: number): Uint8Array => Uint8Array.from([10, 0, n >> 8, n & 255, 0x1a, 0xe1]);
const keyAt = (t: PeerTable, p: number): number => (t.entries[p * 6 + 2] << 8) | t.entries[p * 6 + 3];

type Op = { kind: 'announce'; peer: number; seed: boolean; now: number } | { kind: 'remove'; peer: number } | { kind: 'expire'; cutoff: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('announce' as const), peer: fc.integer({ min: 0, max: 60 }), seed: fc.boolean(), now: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('remove' as const), peer: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), cutoff: fc.integer({ min: 0, max: 30 }) }) },
);

function check(t: PeerTable, model: Map<number, { seed: boolean; seen: number }>): void {
  assert.equal(t.count, model.size);
  assert.equal(t.seeders, [...model.values()].filter((m) => m.seed).length);
  for (const [peer, m] of model) {
    const p = t.find(entry(peer), 0);
    assert.ok(p >= 0, `peer ${peer} is found`);
    assert.equal(keyAt(t, p), peer);
    assert.equal(p >= t.leechers, m.seed, 'seeds sit after leechers');
    assert.equal(t.seenAt(p), m.seen);
  }
}

describe('tracker peer table', () => {
  it('agrees with a Map model; copyOut lists distinct stored peers and skips the asker', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 50, maxLength: 400 }), fc.nat(), (ops, salt) => {
        const t = new PeerTable(6, salt | 0);
        const model = new Map<number, { seed: boolean; seen: number }>();
        for (const o of ops) {
          if (o.kind === 'announce') {
            const p = t.find(entry(o.peer), 0);
            if (p >= 0) t.touch(p, o.seed, o.now);
            else t.insert(entry(o.peer), 0, o.seed, o.now);
            model.set(o.peer, { seed: o.seed, seen: o.now });
          } else if (o.kind === 'remove') {
            const p = t.find(entry(o.peer), 0);
            assert.equal(p >= 0, model.has(o.peer));
            if (p >= 0) assert.equal(t.removeAt(p), model.get(o.peer)?.seed);
            model.delete(o.peer);
          } else {
            const gone = [...model].filter(([, m]) => m.seen < o.cutoff);
            assert.deepEqual(t.expire(o.cutoff), [gone.length, gone.filter(([, m]) => m.seed).length]);
            for (const [k] of gone) model.delete(k);
          }
          check(t, model);
        }
        // Replies: leechers only (as for a seed) and everyone but one peer (as for a leecher).
        const out = new Uint8Array(64 * 6);
        for (const [end, skip] of [[t.leechers, -1], [t.count, t.count > 0 ? salt % t.count : -1]]) {
          for (const want of [1, 5, 80]) {
            if (end === 0) continue;
            const n = t.copyOut(end, (salt >>> 3) % end, skip, want, out, 0) / 6;
            const listed = Array.from({ length: n }, (_, i) => (out[i * 6 + 2] << 8) | out[i * 6 + 3]);
            assert.equal(n, Math.min(want, end - (skip >= 0 && skip < end ? 1 : 0)));
            assert.equal(new Set(listed).size, n, 'no peer twice');
            for (const k of listed) {
              const p = t.find(entry(k), 0);
              assert.ok(p >= 0 && p < end && p !== skip);
            }
          }
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
