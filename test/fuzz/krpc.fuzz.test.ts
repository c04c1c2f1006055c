/**
 * Fuzzing the KRPC codec and the node's input path with a fixed seed: random and mutated
 * datagrams may only ever raise `KrpcDecodeError`, and a node fed garbage never throws.
 * Encoded messages always decode back, and are canonical bencode.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decode } from '../../src/bencode/index.js';
import { decodeKrpc } from '../../src/dht/krpc.js';
import { encodeQuery, encodeResponse, type QuerySpec } from '../../src/dht/krpc-encode.js';
import { KrpcDecodeError } from '../../src/dht/errors.js';
import { DhtNode } from '../../src/dht/dht-node.js';
import { binaryString } from '../../src/dht/node-id.js';
import { SeededRandom } from '../../src/runtime/random.js';
import type { Address, TimerHandle } from '../../src/runtime/types.js';

const SEED = 20240717;
const text = (s: string) => new TextEncoder().encode(s);
const id = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(binaryString);
const bytes = fc.uint8Array({ maxLength: 40 });

const spec: fc.Arbitrary<QuerySpec> = fc.oneof(
  fc.constant({ q: 'ping' as const }),
  fc.record({ q: fc.constant('find_node' as const), target: id }),
  fc.record({ q: fc.constant('get_peers' as const), infoHash: id }),
  fc.record({ q: fc.constant('announce_peer' as const), infoHash: id, port: fc.integer({ min: 1, max: 65535 }), impliedPort: fc.boolean(), token: bytes }),
  fc.record({ q: fc.constant('get' as const), target: id, seq: fc.option(fc.nat(), { nil: undefined }) }),
  fc.record({ q: fc.constant('put' as const), token: bytes, v: fc.constantFrom(text('3:abc'), text('i-5e'), text('li1e3:xyze'), text('d1:ai1e1:bi2ee')), seq: fc.option(fc.nat(), { nil: undefined }), salt: fc.option(bytes, { nil: undefined }) }),
  fc.record({ q: fc.constant('sample_infohashes' as const), target: id }),
);

/** Past crashers and edge cases, kept so they stay fixed. */
const CORPUS = [
  'd1:ad2:id20:xxxxxxxxxxxxxxxxxxxx1:vle1:q3:put1:t2:aa1:y1:qe',
  'd1:rd2:id20:xxxxxxxxxxxxxxxxxxxx6:valuesli1eee1:t2:aa1:y1:re',
  'd1:rd2:id20:xxxxxxxxxxxxxxxxxxxx7:samples3:abce1:t2:aa1:y1:re',
  'd1:eli201e1:xe1:t2:aa1:y1:ee',
  'd1:eli99999999999999999999e5:oopsee1:t2:aa1:y1:ee',
  'd1:ad2:id20:xxxxxxxxxxxxxxxxxxxx4:porti-1e5:token1:a9:info_hash20:yyyyyyyyyyyyyyyyyyyye1:q13:announce_peer1:t2:aa1:y1:qe',
  'd2:ip6:\x01\x02\x03\x04\x00\x001:rd2:id20:xxxxxxxxxxxxxxxxxxxxe1:t2:aa1:y1:re',
  'd1:t99999999:',
  'd1:ad2:id20:xxxxxxxxxxxxxxxxxxxx4:wantl2:n42:n6i1eee1:q9:find_node1:t2:aa1:y1:qe',
].map((s) => Uint8Array.from(Buffer.from(s, 'latin1')));

function onlyDecodeErrors(data: Uint8Array): void {
  try {
    decodeKrpc(data);
  } catch (e) {
    if (!(e instanceof KrpcDecodeError)) throw e;
  }
}

describe('KRPC fuzzing', () => {
  it('decodes what it encodes, as canonical bencode', () => {
    fc.assert(fc.property(spec, id, bytes, (s, me, t) => {
      const msg = encodeQuery(t, me, s, { readOnly: true });
      decode(msg); // strict: sorted keys, no duplicates
      const m = decodeKrpc(msg, { maxMessageBytes: 4096 });
      assert.ok(m.kind === 'query');
      assert.equal(m.q, s.q);
      assert.equal(m.id, me);
    }), { seed: SEED, numRuns: 2000 });
  });

  it('raises only KrpcDecodeError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyDecodeErrors(b)), { seed: SEED, numRuns: 5000 });
  });

  it('raises only KrpcDecodeError on mutated valid messages', () => {
    fc.assert(fc.property(spec, id, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { minLength: 1, maxLength: 4 }), (s, me, muts) => {
      let b = encodeQuery(Uint8Array.of(1, 2), me, s);
      for (const [at, v, kind] of muts) {
        const i = b.length === 0 ? 0 : at % b.length;
        if (kind === 'set' && b.length > 0) {
          b = b.slice();
          b[i] = v;
        } else if (kind === 'cut') b = b.slice(0, i);
        else b = Uint8Array.from([...b.subarray(0, i), v, ...b.subarray(i)]);
      }
      onlyDecodeErrors(b);
    }), { seed: SEED, numRuns: 5000 });
    const r = encodeResponse(Uint8Array.of(1), 'x'.repeat(20), { nodes: [{ id: 'y'.repeat(20), address: { host: '1.2.3.4', port: 5 } }], values: [Uint8Array.of(1, 2, 3, 4, 5, 6)], token: text('t') });
    for (let cut = 0; cut < r.length; cut++) onlyDecodeErrors(r.subarray(0, cut));
  });

  it('keeps past crashers fixed', () => {
    for (const c of CORPUS) onlyDecodeErrors(c);
  });

  it('never lets a datagram throw out of a node', () => {
    const clock = { now: () => 0, setTimer: (): TimerHandle => ({ cancel() {} }) };
    const socket = { address: { host: '10.0.0.1', port: 1 }, send: () => {} };
    const node = new DhtNode({ clock, random: new SeededRandom(1) }, socket, { rateLimit: false });
    const from: Address = { host: '10.0.0.2', port: 2 };
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), spec.map((s) => encodeQuery(Uint8Array.of(9), 'z'.repeat(20), s))), (b) => {
      node.receive(b, from);
    }), { seed: SEED, numRuns: 3000 });
    for (const c of CORPUS) node.receive(c, from);
  });
});
