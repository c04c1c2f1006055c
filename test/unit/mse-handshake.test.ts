import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SeededRandom } from '../../src/runtime/random.js';
import { DH_PRIME_HEX, dhPublicKey, dhSecret } from '../../src/transport/mse/dh.js';
import { MseError } from '../../src/transport/mse/errors.js';
import { MseHandshake, type MseEvent, type MseHandshakeOptions } from '../../src/transport/mse/handshake.js';
import { req2Hash, type MseMethod } from '../../src/transport/mse/constants.js';
import { Rc4 } from '../../src/transport/mse/rc4.js';

const SKEY = new Uint8Array(20).fill(0x5a);
const OTHER = new Uint8Array(20).fill(0x11);
const IA = Uint8Array.from({ length: 68 }, (_, i) => i + 1);
const P = BigInt(`0x${DH_PRIME_HEX}`);
const XA = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const XB = Uint8Array.from({ length: 20 }, (_, i) => 200 - i);

const findSkey = (req2: Uint8Array) => [SKEY, OTHER].find((h) => Buffer.compare(req2Hash(h), req2) === 0);
const sha1 = (...parts: (string | Uint8Array)[]) => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const cat = (parts: readonly Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`);
const be96 = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(192, '0'), 'hex'));
function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

type Init = Partial<Extract<MseHandshakeOptions, { role: 'initiator' }>>;
type Recv = Partial<Extract<MseHandshakeOptions, { role: 'receiver' }>>;

function make(seed: number, init: Init = {}, recv: Recv = {}) {
  const a = new MseHandshake({ role: 'initiator', now: 0, random: new SeededRandom(seed), skey: SKEY, provide: ['rc4', 'plaintext'], initialPayload: IA, privateKey: XA, ...init });
  const b = new MseHandshake({ role: 'receiver', now: 0, random: new SeededRandom(seed + 1), findSkey, accept: ['rc4', 'plaintext'], privateKey: XB, ...recv });
  return { a, b };
}

/** Moves bytes both ways in `chunk`-byte pieces until neither side has any; returns each side's events. */
function pump(a: MseHandshake, b: MseHandshake, chunk = Infinity, extraToB: Uint8Array[] = []) {
  const ea: MseEvent[] = [];
  const eb: MseEvent[] = [];
  let toB = [...a.takeOutgoing(), ...extraToB];
  let rounds = 0;
  while (toB.length > 0 && rounds++ < 20) {
    for (const c of split(toB, chunk)) eb.push(...b.receive(c));
    const toA = b.takeOutgoing();
    for (const c of split(toA, chunk)) ea.push(...a.receive(c));
    toB = a.takeOutgoing();
  }
  return { ea, eb };
}

function split(parts: Uint8Array[], chunk: number): Uint8Array[] {
  const all = Buffer.concat(parts);
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += Math.min(chunk, all.length)) out.push(Uint8Array.from(all.subarray(i, i + chunk)));
  return out;
}

function established(events: MseEvent[]) {
  assert.equal(events.length, 1, JSON.stringify(events.map((e) => e.type === 'error' ? e.error.message : e.type)));
  const e = events[0];
  assert.equal(e.type, 'established');
  return e as Extract<MseEvent, { type: 'established' }>;
}

function failure(events: MseEvent[]): MseError {
  const e = events.find((x) => x.type === 'error');
  assert.ok(e && e.type === 'error', 'expected an error event');
  return e.error;
}

describe('MSE Diffie-Hellman', () => {
  it('public keys are 2^x mod P (checked with BigInt) and both sides derive the same 96-byte S', () => {
    const ya = dhPublicKey(XA);
    const yb = dhPublicKey(XB);
    assert.deepEqual(ya, be96(modPow(2n, big(XA), P)));
    const s = dhSecret(XA, yb);
    assert.equal(s.length, 96);
    assert.deepEqual(s, dhSecret(XB, ya));
    assert.deepEqual(s, be96(modPow(big(yb), big(XA), P)));
  });

  it('refuses a remote key of 0, 1 or P-1 (a guessable secret) with bad_public_key', () => {
    for (const y of [0n, 1n, P - 1n, P]) {
      assert.throws(() => dhSecret(XA, be96(y)), (e: unknown) => e instanceof MseError && e.violation === 'bad_public_key');
    }
  });
});

describe('MSE handshake: our initiator against our receiver', () => {
  for (const chunk of [Infinity, 1, 37]) {
    it(`agrees on RC4 and delivers the initial payload (chunks of ${chunk} bytes)`, () => {
      const { a, b } = make(1);
      const { ea, eb } = pump(a, b, chunk);
      const ra = established(ea);
      const rb = established(eb);
      assert.equal(ra.method, 'rc4');
      assert.equal(rb.method, 'rc4');
      assert.deepEqual(rb.skey, SKEY);
      assert.deepEqual(rb.payload, IA);
      assert.equal(ra.payload.length, 0);
      // The payload stream continues each cipher: A -> B and B -> A.
      const text = Uint8Array.from({ length: 5000 }, (_, i) => i & 255);
      const sealed = (ra.ciphers.encrypt as Rc4).process(text);
      assert.notDeepEqual(sealed, text);
      assert.deepEqual((rb.ciphers.decrypt as Rc4).process(sealed), text);
      assert.deepEqual((ra.ciphers.decrypt as Rc4).process((rb.ciphers.encrypt as Rc4).process(text)), text);
    });
  }

  it('agrees on plaintext when the receiver accepts only that, and leaves no ciphers', () => {
    const { a, b } = make(2, {}, { accept: ['plaintext'] });
    const { ea, eb } = pump(a, b);
    const ra = established(ea);
    const rb = established(eb);
    assert.equal(ra.method, 'plaintext');
    assert.equal(rb.method, 'plaintext');
    assert.deepEqual(rb.payload, IA, 'the initial payload is RC4-encrypted even when plaintext follows');
    assert.equal(ra.ciphers.encrypt, undefined);
    assert.equal(rb.ciphers.decrypt, undefined);
  });

  it("payload right behind B's step 4, in the same chunk, reaches A decrypted", () => {
    const { a, b } = make(3);
    for (const c of a.takeOutgoing()) b.receive(c);
    for (const c of b.takeOutgoing()) a.receive(c);
    const rb = established(a.takeOutgoing().flatMap((c) => b.receive(c)));
    const extra = (rb.ciphers.encrypt as Rc4).process(Uint8Array.from([0, 0, 0, 1, 2]));
    const ra = established(a.receive(Buffer.concat([...b.takeOutgoing(), extra])));
    assert.deepEqual(ra.payload, Uint8Array.from([0, 0, 0, 1, 2]));
  });

  it("sends the document's bytes: Ya = 2^Xa mod P, HASH('req1', S) after PadA, req2 xor req3, then ENCRYPT(VC, provide, len(PadC), len(IA), IA)", () => {
    const { a, b } = make(4, { provide: ['rc4'] });
    const step1 = cat(a.takeOutgoing());
    assert.deepEqual(step1.subarray(0, 96), be96(modPow(2n, big(XA), P)));
    assert.ok(step1.length - 96 <= 512, 'PadA is at most 512 bytes');
    b.receive(step1);
    const step2 = cat(b.takeOutgoing());
    a.receive(step2);
    const s = be96(modPow(big(step2.subarray(0, 96)), big(XA), P));
    const step3 = cat(a.takeOutgoing());
    assert.deepEqual(step3.subarray(0, 20), sha1('req1', s));
    const req3 = sha1('req3', s);
    assert.deepEqual(step3.subarray(20, 40).map((x, i) => x ^ req3[i]), sha1('req2', SKEY));
    const keyA = new Rc4(sha1('keyA', s, SKEY));
    keyA.discard(1024);
    const body = keyA.process(step3.subarray(40));
    assert.deepEqual(body.subarray(0, 8), new Uint8Array(8), 'VC');
    assert.deepEqual(body.subarray(8, 12), Uint8Array.from([0, 0, 0, 2]), 'crypto_provide: RC4 only');
    const padC = (body[12] << 8) | body[13];
    assert.equal((body[14 + padC] << 8) | body[15 + padC], IA.length);
    assert.deepEqual(body.subarray(16 + padC), IA);
  });

  it('a hand-built initiator (padding, IA and payload in one chunk) is understood by our receiver', () => {
    const b = new MseHandshake({ role: 'receiver', now: 0, random: new SeededRandom(5), findSkey, accept: ['rc4'], privateKey: XB });
    const ya = be96(modPow(2n, big(XA), P));
    b.receive(Buffer.concat([ya, new Uint8Array(512).fill(0xee)]));
    const yb = Buffer.concat(b.takeOutgoing()).subarray(0, 96);
    const s = be96(modPow(big(yb), big(XA), P));
    const keyA = new Rc4(sha1('keyA', s, OTHER));
    keyA.discard(1024);
    const req3 = sha1('req3', s);
    const header = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 4, 9, 9, 9, 9, 0, 3, 7, 7, 7]);
    const payload = Uint8Array.from([0, 0, 0, 1, 2]);
    const rb = established(b.receive(Buffer.concat([sha1('req1', s), sha1('req2', OTHER).map((x, i) => x ^ req3[i]), keyA.update(Buffer.concat([header, payload]))])));
    assert.equal(rb.method, 'rc4', 'RC4 selected from provide = 3');
    assert.deepEqual(rb.skey, OTHER);
    assert.deepEqual(rb.payload, Uint8Array.from([7, 7, 7, 0, 0, 0, 1, 2]));
    // Step 4 decrypts with keyB to VC, crypto_select = RC4, len(PadD).
    const keyB = new Rc4(sha1('keyB', s, OTHER));
    keyB.discard(1024);
    const step4 = keyB.process(Buffer.concat(b.takeOutgoing()));
    assert.deepEqual(step4.subarray(0, 12), Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]));
  });
});

describe('MSE handshake: what a bad or foreign peer gets', () => {
  it('a torrent we do not have: unknown_torrent', () => {
    const { a, b } = make(6, { skey: new Uint8Array(20).fill(0x99) });
    assert.equal(failure(pump(a, b).eb).violation, 'unknown_torrent');
  });

  it('no method in common: bad_crypto (receiver requires RC4, initiator offers plaintext only)', () => {
    const { a, b } = make(7, { provide: ['plaintext'] }, { accept: ['rc4'] });
    assert.equal(failure(pump(a, b).eb).violation, 'bad_crypto');
  });

  it('more than 512 bytes of padding before HASH(req1, S): no_sync, decided without waiting for more', () => {
    const b = new MseHandshake({ role: 'receiver', now: 0, random: new SeededRandom(8), findSkey, accept: ['rc4'] });
    assert.deepEqual(b.receive(dhPublicKey(XA)), []);
    assert.deepEqual(b.receive(new Uint8Array(512 + 19)), []);
    assert.equal(failure(b.receive(new Uint8Array(1))).violation, 'no_sync');
  });

  it('garbage instead of a reply to our public key: the initiator gives up with no_sync after 512 + 8 bytes', () => {
    const a = new MseHandshake({ role: 'initiator', now: 0, random: new SeededRandom(9), skey: SKEY, provide: ['rc4'] });
    assert.deepEqual(a.receive(dhPublicKey(XB)), []);
    assert.equal(failure(a.receive(new Uint8Array(520).fill(0x42))).violation, 'no_sync');
  });

  it('an initial payload over maxInitialPayload: payload_too_long', () => {
    const { a, b } = make(10, { initialPayload: new Uint8Array(600) }, { maxInitialPayload: 599 });
    assert.equal(failure(pump(a, b).eb).violation, 'payload_too_long');
    const ok = make(10, { initialPayload: new Uint8Array(600) }, { maxInitialPayload: 600 });
    assert.equal(established(pump(ok.a, ok.b).eb).payload.length, 600);
  });

  it('times out at exactly the deadline, and reports a closed connection', () => {
    const b = new MseHandshake({ role: 'receiver', now: 1000, random: new SeededRandom(11), findSkey, accept: ['rc4'], handshakeTimeoutMs: 5000 });
    assert.equal(b.nextDeadline(), 6000);
    assert.deepEqual(b.poll(5999), []);
    assert.equal(failure(b.poll(6000)).violation, 'timeout');
    assert.equal(b.nextDeadline(), Infinity);
    const c = new MseHandshake({ role: 'receiver', now: 0, random: new SeededRandom(12), findSkey, accept: ['rc4'] });
    assert.equal(failure(c.end()).violation, 'closed');
  });

  it('the receiver selects only among the methods offered (RC4 offered, plaintext preferred: RC4)', () => {
    const { a, b } = make(13, { provide: ['rc4'] }, { accept: ['plaintext', 'rc4'] as MseMethod[] });
    const { ea, eb } = pump(a, b);
    assert.equal(established(eb).method, 'rc4', 'the receiver picks from what was offered');
    established(ea);
  });
});
