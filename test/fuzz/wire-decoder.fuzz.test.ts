/**
 * Fuzzing of the wire message decoder (BEP 3 framing): random and mutated byte streams, pushed
 * in random chunkings, only ever yield messages or a PeerProtocolError, never another
 * exception, never a hang; and the chunking never changes what is decoded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageDecoder, type MessageDecoderOptions } from '../../src/wire/decoder.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { encodeMessage, type WireMessage } from '../../src/wire/messages.js';
import { assertFast, assertMutants, assertOnly, byteMutation, chunking as chunkingOf, chunks, corpusDir, corpusFiles, mutate, readCorpus } from './mutations.js';

const SEED = 20240701;
const CORPUS = corpusDir('wire');

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const num = fc.oneof(fc.integer({ min: 0, max: 40_000 }), u32);
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const UNKNOWN_IDS = [10, 11, 12, 18, 19, 24, 99, 255];

const wireMessage: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.constantFrom<WireMessage>({ type: 'keep_alive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' }, { type: 'not_interested' }, { type: 'have_all' }, { type: 'have_none' }),
  fc.record({ type: fc.constantFrom('have' as const, 'suggest' as const, 'allowed_fast' as const), index: num }),
  fc.record({ type: fc.constant('bitfield' as const), bitfield: bytes(8) }),
  fc.record({ type: fc.constantFrom('request' as const, 'cancel' as const, 'reject' as const), index: num, begin: num, length: num }),
  fc.record({ type: fc.constant('piece' as const), index: num, begin: num, block: bytes(40) }),
  fc.record({ type: fc.constant('port' as const), port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ type: fc.constant('extended' as const), id: fc.integer({ min: 0, max: 255 }), payload: bytes(40) }),
  fc.record({
    type: fc.constantFrom('hash_request' as const, 'hash_reject' as const),
    piecesRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }), baseLayer: num, index: num, length: num, proofLayers: num,
  }),
  fc.record({
    type: fc.constant('hashes' as const),
    piecesRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }), baseLayer: num, index: num, length: num, proofLayers: num,
    hashes: fc.integer({ min: 0, max: 4 }).map((n) => new Uint8Array(32 * n).fill(7)),
  }),
  fc.record({ type: fc.constant('unknown' as const), id: fc.constantFrom(...UNKNOWN_IDS), payload: bytes(16) }),
);

const mutation = byteMutation({ set: [0, 1, 0x7f, 0x80, 0xff, 13, 20], splice: bytes(12), maxDuplicate: 24 });
const chunking = chunkingOf(70);

const MODES: readonly MessageDecoderOptions[] = [{}, { maxMessageLength: 64, maxBlockLength: 32 }];

interface Outcome {
  messages: string[];
  error?: string;
}

const show = (m: WireMessage) => JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));

function run(input: Uint8Array, sizes: readonly number[] | undefined, mode: MessageDecoderOptions): Outcome {
  const d = new MessageDecoder(mode);
  const out: Outcome = { messages: [] };
  const parts = sizes ? chunks(input, sizes) : [input];
  try {
    for (const part of parts) {
      d.push(part);
      for (let m = d.next(); m; m = d.next()) out.messages.push(show(m));
    }
  } catch (e) {
    assertOnly(e, PeerProtocolError, () => Buffer.from(input).toString('hex'));
    out.error = e.violation;
  }
  return out;
}

/** Decodes whole and chunked in every mode: only PeerProtocolError, and the same outcome either way. */
function checkDecoder(input: Uint8Array, sizes: readonly number[]): void {
  for (const mode of MODES) assert.deepEqual(run(input, sizes, mode), run(input, undefined, mode));
}

const stream = fc.array(wireMessage, { maxLength: 12 }).map((ms) => Uint8Array.from(Buffer.concat(ms.map(encodeMessage))));

describe('wire decoder fuzzing: only PeerProtocolError, chunking-independent', () => {
  it('random bytes', () => {
    fc.assert(fc.property(bytes(96), chunking, (x, c) => checkDecoder(x, c)), { seed: SEED, numRuns: 6000 });
  });
  it('random bytes behind a plausible length prefix', () => {
    const framed = fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 30 }), bytes(80)).map(([len, id, body]) => Uint8Array.from([0, 0, 0, len, id, ...body]));
    fc.assert(fc.property(framed, chunking, (x, c) => checkDecoder(x, c)), { seed: SEED, numRuns: 6000 });
  });
  it('streams of valid messages decode back to themselves', () => {
    fc.assert(
      fc.property(fc.array(wireMessage, { maxLength: 12 }), chunking, (ms, c) => {
        const input = Uint8Array.from(Buffer.concat(ms.map(encodeMessage)));
        const got = run(input, c, {});
        assert.equal(got.error, undefined);
        assert.deepEqual(got.messages, ms.map(show));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
  it('mutated streams of valid messages', () => {
    fc.assert(
      fc.property(stream, fc.array(mutation, { minLength: 1, maxLength: 4 }), chunking, (s, ms, c) => checkDecoder(ms.reduce(mutate, s), c)),
      { seed: SEED, numRuns: 6000 },
    );
  });
  it('a huge declared length fails fast without buffering', () => {
    assertFast(100, () => {
      const d = new MessageDecoder();
      d.push(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 20]));
      assert.throws(() => d.next(), PeerProtocolError);
    });
  });
});

describe('wire decoder fuzz corpus', () => {
  const files = corpusFiles(CORPUS, (f) => f.startsWith('decoder-'));
  it('has a corpus to replay', () => assert.ok(files.length >= 8, `corpus at ${CORPUS}`));
  for (const name of files) {
    it(`replays ${name}`, () => {
      const input = readCorpus(CORPUS, name);
      const outcome = run(input, undefined, {});
      if (name.startsWith('decoder-valid-')) assert.equal(outcome.error, undefined, name);
      else {
        assert.ok(name.startsWith('decoder-invalid-'), `decoder corpus names start with decoder-valid- or decoder-invalid-: ${name}`);
        assert.notEqual(outcome.error, undefined, name);
      }
      assertMutants(input, mutation, checkDecoder, { seed: SEED, numRuns: 200 }, chunking);
    });
  }
});
