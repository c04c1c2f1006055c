/**
 * owed.ts: what each peer owes us, caught up lazily, must equal sampling every peer at every
 * look (the rule the choker's free-rider test was written against). Random runs of looks,
 * interest changes and uploads, with the lazy bookkeeping beside an eager model.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { look, newOwedLooks, owedNow, syncOwed } from '../../src/swarm/owed.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';

interface Eager { total: number; interested: boolean; taken: number; seen: number }

function standIn(): PeerSession {
  return { upload: { total: 0 }, conn: { amInterested: false }, owedTaken: 0, owedSeen: 0, owedLook: 0 } as unknown as PeerSession;
}

/** A small deterministic generator (the test's own; runs must repeat). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('owed bytes', () => {
  it('equal sampling every peer at every look, over random runs', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = lcg(seed);
      const looks = newOwedLooks();
      const lazy = Array.from({ length: 5 }, standIn);
      const eager: Eager[] = lazy.map(() => ({ total: 0, interested: false, taken: 0, seen: 0 }));
      let seeding = false;
      for (let step = 0; step < 400; step++) {
        const r = rnd();
        const i = Math.floor(rnd() * lazy.length);
        const p = lazy[i] as unknown as { upload: { total: number }; conn: { amInterested: boolean } };
        if (r < 0.3) {
          // A look: the eager model samples everyone.
          if (rnd() < 0.05) seeding = !seeding; // finishing, or wanting more again
          look(looks, seeding, lazy);
          for (const e of eager) {
            if (!seeding && e.interested) e.taken += e.total - e.seen;
            e.seen = e.total;
          }
        } else if (r < 0.5) {
          syncOwed(looks, lazy[i]);
          p.conn.amInterested = !p.conn.amInterested;
          eager[i].interested = p.conn.amInterested;
        } else if (r < 0.9) {
          const bytes = 1 + Math.floor(rnd() * 16384);
          syncOwed(looks, lazy[i]);
          p.upload.total += bytes;
          eager[i].total += bytes;
        } else {
          assert.equal(owedNow(looks, lazy[i]), eager[i].taken, `seed ${seed}, step ${step}, peer ${i}`);
        }
      }
      for (let i = 0; i < lazy.length; i++) assert.equal(owedNow(looks, lazy[i]), eager[i].taken, `seed ${seed}, peer ${i} at the end`);
    }
  });

  it('counts nothing sent while not interested or while seeding', () => {
    const looks = newOwedLooks();
    const p = standIn() as unknown as { upload: { total: number }; conn: { amInterested: boolean } } & PeerSession;
    p.upload.total = 1000;
    look(looks, false, [p]);
    assert.equal(owedNow(looks, p), 0, 'not interested');
    syncOwed(looks, p);
    p.conn.amInterested = true;
    p.upload.total += 500;
    look(looks, true, [p]);
    assert.equal(owedNow(looks, p), 0, 'seeding at the look');
    syncOwed(looks, p);
    p.upload.total += 700;
    look(looks, false, [p]);
    assert.equal(owedNow(looks, p), 700, 'leeching and interested');
  });
});
