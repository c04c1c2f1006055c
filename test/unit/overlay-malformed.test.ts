/**
 * Hostile input: truncated, garbled, oversized and out-of-range overlay messages are dropped
 * (counted as malformed) without throwing, and the node goes on answering queries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/runtime/random.js';
import { runExperiment } from '../../src/overlays/harness/experiment.js';
import type { OverlayFactory, OverlayNode, QueryResult } from '../../src/overlays/types.js';
import { floodingOverlay } from '../../src/overlays/flooding/index.js';
import { superPeerOverlay } from '../../src/overlays/super-peer/index.js';
import { chordOverlay } from '../../src/overlays/chord/index.js';
import { pastryOverlay } from '../../src/overlays/pastry/index.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../src/overlays/common/base-node.js';
import * as U from '../../src/overlays/unstructured/messages.js';
import * as C from '../../src/overlays/chord/messages.js';
import * as P from '../../src/overlays/pastry/messages.js';
import * as S from '../../src/overlays/super-peer/messages.js';
import { MEMBER_PORT } from '../../src/overlays/harness/population.js';

/** Valid messages of each overlay, to truncate and garble. */
const SAMPLES: Record<string, Uint8Array[]> = {
  flooding: [
    U.encodeControl(U.UNSTRUCTURED_TAG, U.MSG_PONG, [0x0a000001 * 65536 + 7000, 0x0a000002 * 65536 + 7000]),
    U.encodeQuery(U.UNSTRUCTURED_TAG, { guid: 12345, ttl: 7, hops: 1, keyword: new TextEncoder().encode('item-000001') }),
    U.encodeHit(U.UNSTRUCTURED_TAG, 12345, 2, 0x0a000003 * 65536 + 7000),
    U.encodeWalk({ guid: 9, origin: 0x0a000003 * 65536 + 7000, ttl: 100, hops: 4, keyword: Uint8Array.of(65) }),
    U.encodeCheckReply(9, 77, true),
  ],
  chord: [
    C.encodePredReply(0, 5, { id: 99, key: 0x0a000004 * 65536 + 7000 }, [1, 2], [0x0a000005 * 65536 + 7000, 0x0a000006 * 65536 + 7000], 2),
    C.encodeFindReply(1, 6, false, [3], [0x0a000007 * 65536 + 7000], 1),
    C.encodeRecursive({ hopTx: 1, qid: 2, origin: 0x0a000008 * 65536 + 7000, key: 12345, hops: 3, final: false }),
    C.encodeWelcome(4, null, { ids: [5], keys: [0x0a000009 * 65536 + 7000] }, { ids: [], keys: [] }),
    C.encodeKeys(C.KEYS, 0, [[42, Uint8Array.of(1, 2, 3)]], 1000).message,
  ],
  pastry: [
    P.encodeRoute(1, { hopTx: 1, kind: P.KIND_LOOKUP, qid: 2, hops: 1, key: 777, originId: 5, origin: 0x0a00000a * 65536 + 7000 }),
    P.encodeJoinState(true, 6, { ids: [7], keys: [0x0a00000b * 65536 + 7000] }, { ids: [8], keys: [0x0a00000c * 65536 + 7000] }),
    P.encodeLeafExchange(P.LS_REQ, 3, 9, { ids: [10], keys: [0x0a00000d * 65536 + 7000] }),
    P.encodeRowReply(4, { ids: [11], keys: [0x0a00000e * 65536 + 7000] }),
  ],
  'super-peer': [
    S.encodeAttach(12.5, 60, Uint32Array.of(1, 2, 3)),
    S.encodePeers(S.SPS, [0x0a00000f * 65536 + 7000]),
    S.encodeLeafQuery(5, 2, Uint8Array.of(66, 67)),
    U.encodeQuery(S.SUPER_PEER_TAG, { guid: 1, ttl: 4, hops: 1, keyword: Uint8Array.of(68) }),
  ],
};

const FACTORIES: Record<string, () => OverlayFactory<OverlayNode>> = {
  flooding: () => floodingOverlay(),
  chord: () => chordOverlay(),
  pastry: () => pastryOverlay(),
  'super-peer': () => superPeerOverlay(),
};

describe('malformed and oversized overlay messages', () => {
  for (const name of Object.keys(FACTORIES)) {
    it(`${name}: are dropped without harming the node`, async () => {
      const r = await runExperiment(FACTORIES[name](), { nodes: 60, queries: 5, seed: 61, settleMs: 20_000 });
      const pop = r.population;
      const sim = r.sim;
      const victim = pop.live[3];
      const rogue = sim.createHost();
      const pending = rogue.runtime.udp.bind({ host: rogue.address, port: MEMBER_PORT });
      await sim.runFor(0);
      const ep = await pending;
      const random = new SeededRandom(7);
      const tag = SAMPLES[name][0][0];
      const attacks: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(tag), new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES + 1).fill(tag)];
      for (const valid of SAMPLES[name]) {
        for (let cut = 0; cut < valid.length; cut++) attacks.push(valid.subarray(0, cut));
        attacks.push(Uint8Array.from([...valid, 0])); // trailing byte
        for (let k = 0; k < 50; k++) {
          const g = valid.slice();
          g[3 + random.int(g.length - 3)] = random.int(256); // garble the body
          attacks.push(g);
        }
      }
      for (let type = 0; type < 40; type++) {
        attacks.push(Uint8Array.of(tag, type, 0)); // every type, empty body
        attacks.push(Uint8Array.from([tag, type, 1, ...random.bytes(1 + random.int(40))]));
        const list = new Uint8Array(64).fill(0xff); // huge counts and flags
        list[0] = tag;
        list[1] = type;
        attacks.push(list);
      }
      const before = pop.counters.malformed;
      for (const a of attacks) ep.send(a, victim.node.address);
      await sim.runFor(10_000); // throws out of the run if a handler throws
      assert.ok(pop.counters.malformed - before >= 100, `${pop.counters.malformed - before} of ${attacks.length} counted as malformed`);
      // The node still works: it answers a query for a well-replicated item.
      const item = pop.catalogue.targets.findIndex((_, i) => pop.holders[i] > 5);
      let result: QueryResult | null = null;
      victim.node.query(pop.catalogue.targets[item], (res) => (result = res));
      await sim.runFor(30_000);
      assert.ok(result !== null && (result as QueryResult).found, 'the node still answers');
    });
  }
});
