/**
 * Fuzzing of the MSE handshake parser, both roles: random and mutated byte streams, fed in
 * random chunkings to a receiver and to an initiator with fixed keys, only ever end in
 * `established` or an `MseError` event, never an exception; and the chunking never changes
 * the outcome (which method, which error, which payload bytes follow).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../../src/runtime/random.js';
import { MseHandshake, req2Hash, type MseEvent, type Rc4 } from '../../src/transport/mse/index.js';
import { assertMutants, byteMutation, cat, chunking as chunkingOf, chunks, corpusDir, corpusFiles, mutate, readCorpus } from './mutations.js';

const SEED = 20261206;
const CORPUS = corpusDir('mse');
const SKEY = new Uint8Array(20).fill(0x21);
const XA = new Uint8Array(20).fill(0x0a);
const XB = new Uint8Array(20).fill(0x0b);
const IA = Uint8Array.from({ length: 68 }, (_, i) => i);
const findSkey = (r: Uint8Array) => (Buffer.compare(r, req2Hash(SKEY)) === 0 ? SKEY : undefined);

const receiver = () => new MseHandshake({ role: 'receiver', now: 0, random: new SeededRandom(2), findSkey, accept: ['rc4', 'plaintext'], privateKey: XB, maxInitialPayload: 256 });
const initiator = () => new MseHandshake({ role: 'initiator', now: 0, random: new SeededRandom(1), skey: SKEY, provide: ['rc4', 'plaintext'], initialPayload: IA, privateKey: XA });

/** What each side sends in a good handshake between `initiator()` and `receiver()`, with 100 payload bytes each way behind it. */
export function transcripts(): { toReceiver: Uint8Array; toInitiator: Uint8Array } {
  const a = initiator();
  const b = receiver();
  const step1 = cat(a.takeOutgoing());
  b.receive(step1);
  const step2 = cat(b.takeOutgoing());
  a.receive(step2);
  const step3 = cat(a.takeOutgoing());
  const eb = b.receive(step3)[0];
  const step4 = cat(b.takeOutgoing());
  const ea = a.receive(step4)[0];
  assert.ok(ea?.type === 'established' && eb?.type === 'established');
  const payload = new Uint8Array(100).fill(0x77);
  return {
    toReceiver: cat([step1, step3, (ea.ciphers.encrypt as Rc4).process(payload)]),
    toInitiator: cat([step2, step4, (eb.ciphers.encrypt as Rc4).process(payload)]),
  };
}

interface Outcome {
  result: string;
  payload: string;
}

function run(make: () => MseHandshake, input: Uint8Array, sizes: readonly number[]): Outcome {
  const hs = make();
  hs.takeOutgoing();
  let done: Extract<MseEvent, { type: 'established' }> | undefined;
  let result = 'pending';
  const payload: Uint8Array[] = [];
  for (const part of sizes.length > 0 ? chunks(input, sizes) : [input]) {
    if (done) {
      payload.push(done.ciphers.decrypt ? done.ciphers.decrypt.process(part) : part);
      continue;
    }
    let events: MseEvent[];
    try {
      events = hs.receive(part);
    } catch (e) {
      throw new Error(`exception for ${Buffer.from(input).toString('hex')}: ${String(e)}`, { cause: e });
    }
    for (const e of events) {
      if (e.type === 'error') result = `error:${e.error.violation}`;
      else {
        done = e;
        result = `established:${e.method}`;
        payload.push(e.payload);
      }
    }
    if (result.startsWith('error')) break;
  }
  return { result, payload: Buffer.from(cat(payload)).toString('hex') };
}

function check(make: () => MseHandshake, input: Uint8Array, sizes: readonly number[]): Outcome {
  const whole = run(make, input, []);
  assert.deepEqual(run(make, input, sizes), whole);
  return whole;
}

const mutation = byteMutation({ set: [0, 1, 2, 3, 0xff], splice: fc.uint8Array({ maxLength: 40 }), maxDuplicate: 64 });
const chunking = chunkingOf(200);

describe('MSE handshake fuzzing: only MseError, chunking-independent', () => {
  const t = transcripts();

  it('the unmutated transcripts establish, with the payload behind them', () => {
    assert.deepEqual(check(receiver, t.toReceiver, [1, 97, 300]), { result: 'established:rc4', payload: Buffer.concat([IA, new Uint8Array(100).fill(0x77)]).toString('hex') });
    assert.deepEqual(check(initiator, t.toInitiator, [5, 600]), { result: 'established:rc4', payload: '77'.repeat(100) });
  });

  it('random bytes, both roles', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), chunking, (x, c) => {
      check(receiver, x, c);
      check(initiator, x, c);
    }), { seed: SEED, numRuns: 400 });
  });

  it('mutated transcripts to the receiver', () => {
    assertMutants(t.toReceiver, mutation, (m, c) => void check(receiver, m, c), { seed: SEED, numRuns: 1000 }, chunking);
  });

  it('mutated transcripts to the initiator', () => {
    assertMutants(t.toInitiator, mutation, (m, c) => void check(initiator, m, c), { seed: SEED, numRuns: 1000 }, chunking);
  });

  it('a flipped bit in the receiver header is an error, not a wrong torrent or silent garbage', () => {
    // Byte 96 + padA + 20 .. is req2 xor req3: flipping any of its bits names no torrent.
    const pad = t.toReceiver.length - 96 - 20 - 20 - 16 - IA.length - 100;
    const at = 96 + pad + 20 + 5;
    assert.equal(check(receiver, mutate(t.toReceiver, { kind: 'flip', at, bit: 3 }), [50]).result, 'error:unknown_torrent');
  });
});

describe('MSE handshake fuzz corpus', () => {
  const files = corpusFiles(CORPUS);
  it('has a corpus to replay', () => assert.ok(files.length >= 4, `corpus at ${CORPUS}`));
  for (const name of files) {
    it(`replays ${name}`, () => {
      const make = name.startsWith('receiver-') ? receiver : initiator;
      const input = readCorpus(CORPUS, name);
      const outcome = check(make, input, [7, 64]);
      if (name.includes('-valid-')) assert.match(outcome.result, /^established/, name);
      else assert.match(outcome.result, /^(error|pending)/, name);
      assertMutants(input, mutation, (m, c) => void check(make, m, c), { seed: SEED, numRuns: 100 }, chunking);
    });
  }
});
