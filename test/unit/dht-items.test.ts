import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ItemStore, immutableTarget, mutableTarget, signItem, signedBytes, verifyItem, MAX_VALUE_BYTES } from '../../src/dht/items.js';
import { generateKeyPair, keyPairFromSeed } from '../../src/dht/ed25519.js';
import { idToHex } from '../../src/dht/node-id.js';
import { KRPC_ERROR } from '../../src/dht/krpc.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const text = (s: string) => new TextEncoder().encode(s);
const V = text('12:Hello World!');
const PK = hex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548');

describe('BEP 44 items', () => {
  it('matches the BEP 44 test vectors for targets and signatures', () => {
    assert.equal(idToHex(immutableTarget(V)), 'e5f96f6f38320f0f33959cb4d3d656452117aadb');
    assert.equal(idToHex(mutableTarget(PK)), '4a533d47ec9c7d95b1ad75f576cffc641853b750');
    assert.equal(idToHex(mutableTarget(PK, text('foobar'))), '411eba73b6f087ca51a3795d9c8c938d365e32c1');
    assert.equal(Buffer.from(signedBytes(V, 1)).toString(), '3:seqi1e1:v12:Hello World!');
    assert.equal(Buffer.from(signedBytes(V, 1, text('foobar'))).toString(), '4:salt6:foobar3:seqi1e1:v12:Hello World!');
    const sig1 = hex('305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01');
    const sig2 = hex('6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08');
    assert.ok(verifyItem(PK, sig1, V, 1));
    assert.ok(verifyItem(PK, sig2, V, 1, text('foobar')));
    assert.equal(verifyItem(PK, sig1, V, 2), false);
    assert.equal(verifyItem(PK, sig2, V, 1), false);
  });

  it('signs with a seed and verifies', () => {
    const kp = generateKeyPair();
    assert.deepEqual(keyPairFromSeed(kp.seed).publicKey, kp.publicKey);
    const sig = signItem(kp.seed, V, 5n, text('s'));
    assert.ok(verifyItem(kp.publicKey, sig, V, 5n, text('s')));
  });

  it('stores items and enforces seq, cas, salt and size rules', () => {
    const s = new ItemStore();
    const kp = generateKeyPair();
    const put = (seq: bigint, v = V, extra: { cas?: bigint; salt?: Uint8Array } = {}) => s.put({ v, k: kp.publicKey, seq, sig: signItem(kp.seed, v, seq, extra.salt), ...extra }, 0);
    assert.equal(s.put({ v: V }, 0), undefined);
    assert.deepEqual(s.get(immutableTarget(V), 0)?.v, V);
    assert.equal(put(2n), undefined);
    assert.equal(put(1n)?.code, KRPC_ERROR.seqTooLow);
    assert.equal(put(2n), undefined, 'the same seq and value refreshes');
    assert.equal(put(2n, text('i1e'))?.code, KRPC_ERROR.seqTooLow);
    assert.equal(put(3n, V, { cas: 1n })?.code, KRPC_ERROR.casMismatch);
    assert.equal(put(3n, V, { cas: 2n }), undefined);
    assert.equal(s.get(mutableTarget(kp.publicKey), 0)?.seq, 3n);
    assert.equal(put(1n, V, { salt: new Uint8Array(65) })?.code, KRPC_ERROR.saltTooBig);
    assert.equal(s.put({ v: new Uint8Array(MAX_VALUE_BYTES + 1) }, 0)?.code, KRPC_ERROR.messageTooBig);
    assert.equal(s.put({ v: V, k: kp.publicKey, seq: 9n, sig: new Uint8Array(64) }, 0)?.code, KRPC_ERROR.invalidSignature);
  });

  it('keeps at most maxItems and expires items after itemTtlMs', () => {
    const s = new ItemStore({ maxItems: 3, itemTtlMs: 1000 });
    for (let i = 0; i < 5; i++) s.put({ v: text(`i${i}e`) }, i);
    assert.equal(s.size, 3);
    assert.equal(s.get(immutableTarget(text('i0e')), 10), undefined);
    assert.ok(s.get(immutableTarget(text('i4e')), 10));
    assert.equal(s.get(immutableTarget(text('i4e')), 2000), undefined);
  });
});
