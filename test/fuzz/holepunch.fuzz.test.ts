/**
 * Fuzzing of the BEP 55 ut_holepunch decoder and of the Holepunch core fed arbitrary
 * messages from arbitrary peers. Fixed seed: a failure replays. The decoder may only throw
 * PeerProtocolError; the core never throws and never sends more than its limits allow.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { Holepunch } from '../../src/nat/holepunch.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { decodeHolepunch, encodeHolepunch, type HolepunchMessage } from '../../src/wire/ut-holepunch.js';
import { assertOnly, byteMutation, mutate } from './mutations.js';

const SEED = 20261207;
const VALID = [
  encodeHolepunch({ type: 'rendezvous', address: { host: '10.0.0.2', port: 6881 } }),
  encodeHolepunch({ type: 'connect', address: { host: 'fd00::2', port: 6881 } }),
  encodeHolepunch({ type: 'error', address: { host: '10.0.0.3', port: 1 }, error: 'NoSupport' }),
];

describe('ut_holepunch fuzz', () => {
  it('random bytes raise only PeerProtocolError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      try {
        decodeHolepunch(b);
      } catch (e) {
        assertOnly(e, PeerProtocolError, () => Buffer.from(b).toString('hex'));
      }
    }), { seed: SEED, numRuns: 3000 });
  });

  it('mutants of valid messages raise only PeerProtocolError, and what decodes re-encodes to a message that decodes the same (err_code outside errors is ignored)', () => {
    const mutation = byteMutation({ splice: fc.uint8Array({ maxLength: 8 }), maxDuplicate: 8, set: [0, 1, 2, 3, 255] });
    fc.assert(fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, ms) => {
      let b = base;
      for (const m of ms) b = mutate(b, m);
      let msg: HolepunchMessage;
      try {
        msg = decodeHolepunch(b);
      } catch (e) {
        assertOnly(e, PeerProtocolError, () => Buffer.from(b).toString('hex'));
        return;
      }
      assert.deepEqual(decodeHolepunch(encodeHolepunch(msg)), msg);
      if (msg.type === 'error') assert.deepEqual(encodeHolepunch(msg), b);
    }), { seed: SEED, numRuns: 3000 });
  });

  it('the core never throws on arbitrary messages from arbitrary peers and keeps to its per-minute limits', () => {
    const peer = fc.integer({ min: 0, max: 4 });
    const addr = fc.record({ host: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', 'fd00::1'), port: fc.constantFrom(0, 6881, 6882) });
    const msg: fc.Arbitrary<HolepunchMessage> = fc.oneof(
      fc.record({ type: fc.constant('rendezvous' as const), address: addr }),
      fc.record({ type: fc.constant('connect' as const), address: addr }),
      fc.record({ type: fc.constant('error' as const), address: addr, error: fc.constantFrom('NoSuchPeer' as const, 'NoSelf' as const, 9) }),
    );
    fc.assert(fc.property(fc.array(fc.tuple(peer, msg, fc.nat(5000)), { maxLength: 60 }), (script) => {
      let now = 0;
      const endpoints = [0, 1, 2, 3, 4].map((i) => ({ host: `10.0.0.${i + 1}`, port: 6881 }));
      let punches = 0;
      const sent: number[] = [0, 0, 0, 0, 0];
      const hp = new Holepunch<number>({
        now: () => now,
        peers: () => [0, 1, 2, 3, 4],
        supports: (p) => p !== 4,
        endpointOf: (p) => endpoints[p],
        isSelf: (a) => a.host === '10.0.0.9',
        isConnected: () => false,
        send: (p) => void sent[p]++,
        punch: () => void punches++,
        natType: () => 'unknown',
      }, { maxRendezvousPerPeerPerMinute: 2, maxConnectsPerPeerPerMinute: 2 });
      for (const [p, m, dt] of script) {
        now += dt;
        hp.onMessage(p, m);
      }
      // Over a script of at most 60 * 5 s = 5 min, each peer can trigger at most 2 a minute of each kind.
      const minutes = Math.floor(now / 60_000) + 1;
      assert.ok(punches <= 4 * 2 * minutes, `punches ${punches}`);
      // Peer 4 does not speak ut_holepunch: it is never sent anything, and its messages are ignored.
      assert.equal(sent[4], 0);
    }), { seed: SEED, numRuns: 300 });
  });
});
