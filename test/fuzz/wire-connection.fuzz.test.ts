/**
 * Fuzzing of PeerConnection: random, scripted and mutated byte streams from a remote peer, in
 * random chunkings and with a simple engine reacting to events, only ever produce typed events
 * (protocol violations as `error` events), never an exception, never a hang.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeExtendedHandshake } from '../../src/wire/extension.js';
import { encodeHandshake, makeReserved } from '../../src/wire/handshake.js';
import { encodeMessage, type WireMessage } from '../../src/wire/messages.js';
import { PeerConnection } from '../../src/wire/peer-connection.js';
import type { PeerConnectionOptions, PeerEvent, PieceGeometry } from '../../src/wire/peer-types.js';
import { encodeMetadataMessage } from '../../src/wire/ut-metadata.js';
import { encodePex } from '../../src/wire/ut-pex.js';
import { assertMutants, byteMutation, cat, chunking as chunkingOf, chunks, corpusDir, corpusFiles, mutate, readCorpus } from './mutations.js';

const SEED = 20240702;
const CORPUS = corpusDir('wire');
const HASH = new Uint8Array(20).fill(0xaa);
const US = new Uint8Array(20).fill(0x41);
const THEM = new Uint8Array(20).fill(0x42);
const GEO: PieceGeometry = { pieceCount: 10, pieceLength: 32768, lastPieceLength: 1000 };

// Messages biased toward this torrent's piece space, so the stateful rules get exercised.
const idx = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 10 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) });
const begin = fc.oneof(fc.constantFrom(0, 16384, 900), fc.integer({ min: 0, max: 0xffffffff }));
const blen = fc.oneof(fc.constantFrom(16384, 100, 1000, 0, 16385), fc.integer({ min: 0, max: 0xffffffff }));
const small = fc.uint8Array({ maxLength: 24 });
const root = fc.constantFrom(new Uint8Array(32).fill(3), new Uint8Array(32));
const extPayload = fc.oneof(
  small,
  fc.constant(encodeExtendedHandshake({ m: new Map([['ut_metadata', 3], ['ut_pex', 1]]), reqq: 5, metadataSize: 100 })),
  fc.constantFrom(encodeMetadataMessage({ type: 'request', piece: 0 }), encodeMetadataMessage({ type: 'data', piece: 0, totalSize: 5, data: new Uint8Array(5) })),
  fc.constant(encodePex({ added: [{ host: '1.2.3.4', port: 1, flags: 0 }], dropped: [] })),
);
const message: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.constantFrom<WireMessage>({ type: 'keep_alive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' }, { type: 'not_interested' }, { type: 'have_all' }, { type: 'have_none' }),
  fc.record({ type: fc.constantFrom('have' as const, 'suggest' as const, 'allowed_fast' as const), index: idx }),
  fc.record({ type: fc.constant('bitfield' as const), bitfield: fc.oneof(fc.constant(Uint8Array.from([0xff, 0xc0])), fc.uint8Array({ maxLength: 3 })) }),
  fc.record({ type: fc.constantFrom('request' as const, 'cancel' as const, 'reject' as const), index: idx, begin, length: blen }),
  fc.record({ type: fc.constant('piece' as const), index: idx, begin, block: fc.oneof(fc.constant(new Uint8Array(100)), small) }),
  fc.record({ type: fc.constant('port' as const), port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ type: fc.constant('extended' as const), id: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })), payload: extPayload }),
  fc.record({ type: fc.constantFrom('hash_request' as const, 'hash_reject' as const), piecesRoot: root, baseLayer: fc.nat(3), index: fc.nat(8), length: fc.constantFrom(2, 3, 4, 1024), proofLayers: fc.nat(4) }),
  fc.record({ type: fc.constant('hashes' as const), piecesRoot: root, baseLayer: fc.nat(3), index: fc.nat(8), length: fc.constantFrom(2, 4), proofLayers: fc.nat(4), hashes: fc.constant(new Uint8Array(64)) }),
  fc.record({ type: fc.constant('unknown' as const), id: fc.constantFrom(10, 11, 12, 18, 19, 99), payload: small }),
);
const reserved = fc.record({ fast: fc.boolean(), extensionProtocol: fc.boolean(), dht: fc.boolean(), v2Upgrade: fc.boolean() });
const handshake = reserved.map((r) => encodeHandshake({ reserved: makeReserved(r), infoHash: HASH, peerId: THEM }));
const remoteStream = fc.tuple(handshake, fc.array(message, { maxLength: 16 })).map(([h, ms]) => cat([h, ...ms.map(encodeMessage)]));

const mutation = byteMutation({ splice: fc.uint8Array({ maxLength: 12 }), maxDuplicate: 24 });
const chunking = chunkingOf(90);

const SETUPS: readonly Partial<PeerConnectionOptions>[] = [
  {},
  { features: { fast: false } },
  { geometry: undefined, maxPendingHaves: 4 },
  { unrequestedPiece: 'ignore', maxPeerRequests: 2, maxRefusedRequests: 3, maxHashRequests: 1, maxMessageLength: 64, maxAllowedFast: 2 },
];

/** A small engine: answers the handshake, serves requests, asks for what the peer has. */
function react(c: PeerConnection, events: readonly PeerEvent[], log: PeerEvent[]): void {
  for (const e of events) {
    log.push(e);
    if (c.state === 'closed') continue;
    switch (e.type) {
      case 'handshake':
        c.sendAvailability(c.geometry ? 'all' : 'none');
        c.unchoke();
        c.interested();
        c.sendExtendedHandshake({ metadataSize: 100 });
        c.allowFast(1);
        break;
      case 'message': {
        const m = e.message;
        if (m.type === 'request') c.sendPiece(m.index, m.begin, new Uint8Array(m.length));
        else if (m.type === 'hash_request') c.rejectHashes(m);
        else if ((m.type === 'have' || m.type === 'unchoke' || m.type === 'have_all' || m.type === 'allowed_fast') && c.geometry) {
          for (let i = 0; i < GEO.pieceCount; i++) if (c.peerHas(i)) c.request(i, 0, Math.min(16384, c.pieceLength(i)));
        }
        if (m.type === 'choke') c.cancel(0, 0, 16384);
        break;
      }
      case 'metadata':
        if (e.message.type === 'request') c.sendMetadata({ type: 'reject', piece: e.message.piece });
        break;
      case 'extended_handshake':
        c.sendPex({ added: [{ host: '10.0.0.1', port: 1, flags: 0 }], dropped: [] });
        c.requestHashes({ piecesRoot: new Uint8Array(32).fill(3), baseLayer: 0, index: 0, length: 2, proofLayers: 1 });
        break;
    }
  }
  c.takeOutgoing();
}

/** Feeds `input` in chunks (the first `first` bytes alone); returns every event. Throws only on a bug. */
function feed(input: Uint8Array, sizes: readonly number[] | undefined, setup: Partial<PeerConnectionOptions>, first = 0): PeerEvent[] {
  const c = new PeerConnection({ role: 'outgoing', peerId: US, infoHash: HASH, now: 0, geometry: GEO, ...setup });
  c.takeOutgoing();
  const log: PeerEvent[] = [];
  let now = 0;
  const parts = first > 0 ? [input.subarray(0, first), input.subarray(first)] : chunks(input, sizes ?? [input.length]);
  for (const part of parts) {
    now += 1000;
    react(c, c.receive(part, now), log);
    react(c, c.poll(now), log);
    if (log.some((e) => e.type === 'info_hash')) throw new Error('an outgoing connection never asks for an info hash');
  }
  if (!c.geometry) react(c, c.setGeometry(GEO), log);
  react(c, c.poll(now + 400_000), log);
  assert.equal(c.state, 'closed', 'a long silence times out');
  const errors = log.filter((e) => e.type === 'error');
  assert.ok(errors.length <= 1, 'at most one error, then closed');
  return log;
}

function check(input: Uint8Array, sizes: readonly number[]): void {
  for (const setup of SETUPS) {
    try {
      feed(input, sizes, setup);
    } catch (e) {
      throw new Error(`PeerConnection threw for ${Buffer.from(input).toString('hex')} chunked ${sizes}: ${String(e)}`, { cause: e });
    }
  }
}

describe('PeerConnection fuzzing: only typed events, never an exception', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), chunking, (x, c) => check(x, c)), { seed: SEED, numRuns: 1500 });
  });
  it('a valid handshake then random bytes', () => {
    fc.assert(fc.property(handshake, fc.uint8Array({ maxLength: 80 }), chunking, (h, x, c) => check(cat([h, x]), c)), { seed: SEED, numRuns: 1500 });
  });
  it('scripted remote streams of arbitrary messages', () => {
    fc.assert(fc.property(remoteStream, chunking, (s, c) => check(s, c)), { seed: SEED, numRuns: 3000 });
  });
  it('mutated remote streams', () => {
    fc.assert(fc.property(remoteStream, fc.array(mutation, { minLength: 1, maxLength: 4 }), chunking, (s, ms, c) => check(ms.reduce(mutate, s), c)), { seed: SEED, numRuns: 3000 });
  });
  it('typed messages on a typed transport', () => {
    fc.assert(
      fc.property(reserved, fc.array(message, { maxLength: 16 }), (r, ms) => {
        const c = new PeerConnection({ role: 'outgoing', peerId: US, infoHash: HASH, now: 0, geometry: GEO, framing: 'messages' });
        const log: PeerEvent[] = [];
        react2(c, c.receiveHandshake({ reserved: makeReserved(r), infoHash: HASH, peerId: THEM }, 0), log);
        for (const m of ms) react2(c, c.receiveMessage(m, 1), log);
        assert.ok(log.filter((e) => e.type === 'error').length <= 1);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

function react2(c: PeerConnection, events: readonly PeerEvent[], log: PeerEvent[]): void {
  for (const e of events) {
    log.push(e);
    if (e.type === 'handshake') {
      c.sendAvailability('all');
      c.unchoke();
    }
  }
  c.takeOutgoingFrames();
}

describe('PeerConnection fuzz corpus', () => {
  const files = corpusFiles(CORPUS, (f) => f.startsWith('connection-'));
  it('has a corpus to replay', () => assert.ok(files.length >= 10, `corpus at ${CORPUS}`));
  for (const name of files) {
    it(`replays ${name}`, () => {
      const input = readCorpus(CORPUS, name);
      const log = feed(input, undefined, {}, Math.min(68, input.length));
      const error = log.find((e) => e.type === 'error');
      if (name.startsWith('connection-valid-')) assert.equal(error, undefined, error && error.type === 'error' ? error.error.message : '');
      else {
        assert.ok(name.startsWith('connection-invalid-'), `connection corpus names start with connection-valid- or connection-invalid-: ${name}`);
        assert.ok(error, `${name} should end in an error event`);
      }
      assertMutants(input, mutation, check, { seed: SEED, numRuns: 150 }, chunking);
    });
  }
});
