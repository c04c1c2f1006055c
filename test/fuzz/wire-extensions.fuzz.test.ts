/**
 * Fuzzing of the payload decoders above the framing: the BEP 10 extended handshake, BEP 9
 * ut_metadata, BEP 11 ut_pex and BEP 52 hashes verification, plus the metadata fetcher driven
 * by arbitrary peer answers. Random and mutated payloads only ever raise PeerProtocolError
 * (or, for the fetcher, typed events); nothing else throws, nothing hangs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { encode } from '../../src/bencode/encode.js';
import { Bitfield } from '../../src/wire/bitfield.js';
import { bytesToIp, ipToBytes } from '../../src/wire/compact.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../src/wire/extension.js';
import { verifyHashes } from '../../src/wire/hash-messages.js';
import { MetadataFetcher } from '../../src/wire/metadata-fetcher.js';
import { decodeMetadataMessage, encodeMetadataMessage } from '../../src/wire/ut-metadata.js';
import { decodePex, encodePex } from '../../src/wire/ut-pex.js';
import { assertMutants, assertOnly, bencodeLike, byteMutation, cat, corpusDir, corpusFiles, mutate, readCorpus } from './mutations.js';

const SEED = 20240703;
const CORPUS = corpusDir('wire');

const bencodeish = bencodeLike(48);
const mutation = byteMutation({ splice: bencodeish, maxDuplicate: 24 });

const DECODERS: Record<string, (b: Uint8Array) => unknown> = {
  exthandshake: (b) => decodeExtendedHandshake(b, { maxHandshakeSize: 4096, maxExtensions: 4 }),
  metadata: (b) => decodeMetadataMessage(b),
  pex: (b) => decodePex(b, { maxPeers: 3 }),
};

/** Runs every payload decoder: only PeerProtocolError may escape. */
function check(input: Uint8Array): void {
  for (const [name, decode] of Object.entries(DECODERS)) {
    try {
      decode(input);
    } catch (e) {
      assertOnly(e, PeerProtocolError, () => `${name} of ${Buffer.from(input).toString('hex')}`);
    }
  }
}

const host4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const host6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const pexPeer = fc.record({ host: fc.oneof(host4, host6), port: fc.integer({ min: 1, max: 65535 }), flags: fc.nat(255) });
const validPayload = fc.oneof(
  fc.record({ v: fc.string({ maxLength: 10 }), p: fc.nat(65535), reqq: fc.nat(1000), metadataSize: fc.nat(1 << 24), names: fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.nat(255)), { maxLength: 5 }) })
    .map((h) => encodeExtendedHandshake({ ...h, m: new Map(h.names) })),
  fc.oneof(
    fc.record({ type: fc.constantFrom('request' as const, 'reject' as const), piece: fc.nat(2000) }),
    fc.record({ type: fc.constant('data' as const), piece: fc.nat(2000), totalSize: fc.nat(1 << 24), data: fc.uint8Array({ maxLength: 64 }) }),
  ).map(encodeMetadataMessage),
  fc.record({ added: fc.array(pexPeer, { maxLength: 6 }), dropped: fc.array(pexPeer, { maxLength: 6 }) }).map(encodePex),
);

describe('wire payload decoder fuzzing: only PeerProtocolError', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (x) => check(x)), { seed: SEED, numRuns: 8000 });
  });
  it('random bencode-looking bytes', () => {
    fc.assert(fc.property(bencodeish, (x) => check(x)), { seed: SEED, numRuns: 8000 });
  });
  it('valid payloads round-trip and survive mutation', () => {
    fc.assert(fc.property(validPayload, fc.array(mutation, { maxLength: 4 }), (p, ms) => check(ms.reduce(mutate, p))), { seed: SEED, numRuns: 8000 });
  });
  it('ut_pex decoding returns exactly what was encoded', () => {
    fc.assert(
      fc.property(fc.array(pexPeer, { maxLength: 8 }), (added) => {
        const d = decodePex(encodePex({ added, dropped: [] }), { maxPeers: 100 });
        const canonical = (p: { host: string; port: number; flags: number }) => ({ host: bytesToIp(ipToBytes(p.host) as Uint8Array), port: p.port, flags: p.flags });
        const v4 = added.filter((p) => !p.host.includes(':')), v6 = added.filter((p) => p.host.includes(':'));
        assert.deepEqual(d.added, [...v4, ...v6].map(canonical));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
  it('bitfields from the wire: only bad_bitfield', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.integer({ min: 1, max: 48 }), (b, n) => {
        try {
          const bf = Bitfield.fromWire(b, n);
          assert.ok(bf.count <= n);
        } catch (e) {
          if (!(e instanceof PeerProtocolError)) throw e;
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
  it('hashes verification never throws on arbitrary answers', () => {
    const u = fc.oneof(fc.nat(70), fc.integer({ min: 0, max: 0xffffffff }));
    fc.assert(
      fc.property(u, u, u, u, fc.nat(12), fc.integer({ min: 0, max: 5000 }), (baseLayer, index, length, proofLayers, n, leaves) => {
        const v = verifyHashes({ piecesRoot: new Uint8Array(32), baseLayer, index, length, proofLayers, hashes: new Uint8Array(32 * n) }, leaves);
        assert.equal(typeof v.ok, 'boolean');
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

describe('wire MetadataFetcher fuzzing: arbitrary peer answers only give typed events', () => {
  const meta = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7) & 0xff);
  const infoHashV1 = new Uint8Array(createHash('sha1').update(meta).digest());
  const peer = fc.constantFrom('a', 'b', 'c');
  const action = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), peer, size: fc.oneof(fc.constant(meta.length), fc.integer({ min: -1, max: 100_000 })) }),
    fc.record({ kind: fc.constant('remove' as const), peer }),
    fc.record({ kind: fc.constant('requests' as const), dt: fc.nat(40_000) }),
    fc.record({ kind: fc.constant('reject' as const), peer, piece: fc.nat(5) }),
    fc.record({ kind: fc.constant('data' as const), peer, piece: fc.nat(5), total: fc.oneof(fc.constant(meta.length), fc.nat(100_000)), honest: fc.boolean(), length: fc.nat(20_000) }),
  );
  it('never throws, and completes only with the right bytes', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const f = new MetadataFetcher<string>({ infoHashV1, maxMetadataSize: 60_000 });
        let now = 0;
        for (const a of actions) {
          if (a.kind === 'add') f.addPeer(a.peer, a.size);
          else if (a.kind === 'remove') f.removePeer(a.peer);
          else if (a.kind === 'requests') {
            now += a.dt;
            for (const r of f.requests(now)) assert.ok(r.piece >= 0 && r.piece < 3);
            assert.ok(f.nextDeadline() > now, 'no deadline in the past: the caller would spin');
          } else if (a.kind === 'reject') f.onReject(a.peer, a.piece, now);
          else {
            const data = a.honest ? meta.subarray(a.piece * 16384, a.piece * 16384 + 16384) : new Uint8Array(a.length);
            for (const e of f.onData(a.peer, a.piece, a.total, data)) {
              if (e.type === 'complete') assert.deepEqual(e.info, meta);
              if (e.type === 'bad_peer') assert.ok(e.error.violation === 'bad_metadata' || e.error.violation === 'corrupt_metadata', e.error.violation);
            }
          }
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

describe('wire payload fuzz corpus', () => {
  const files = corpusFiles(CORPUS, (f) => /^(exthandshake|metadata|pex)-/.test(f));
  it('has a corpus to replay', () => assert.ok(files.length >= 12, `corpus at ${CORPUS}`));
  for (const name of files) {
    it(`replays ${name}`, () => {
      const input = readCorpus(CORPUS, name);
      const [target, verdict] = name.split('-');
      const decode = (): unknown => DECODERS[target](input);
      if (verdict === 'valid') assert.ok(decode() !== undefined);
      else {
        assert.equal(verdict, 'invalid', `corpus names are <target>-valid-* or <target>-invalid-*: ${name}`);
        assert.throws(decode, PeerProtocolError);
      }
      check(input);
      assertMutants(input, mutation, check, { seed: SEED, numRuns: 200 });
    });
  }
  it('a metadata data message with a large dict still splits at the dict end', () => {
    const payload = cat([encode({ msg_type: 1, piece: 0, total_size: 3, pad: new Uint8Array(100) }), Uint8Array.from([1, 2, 3])]);
    const m = decodeMetadataMessage(payload);
    assert.ok(m.type === 'data' && m.data.length === 3);
  });
});
