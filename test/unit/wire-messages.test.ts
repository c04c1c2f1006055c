import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageDecoder } from '../../src/wire/decoder.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import {
  MESSAGE_ID, decodeMessageBody, encodeMessage, encodePieceHeader, encodedLength, type WireMessage,
} from '../../src/wire/messages.js';

const root = new Uint8Array(32).fill(3);
const SAMPLES: WireMessage[] = [
  { type: 'keep_alive' },
  { type: 'choke' },
  { type: 'unchoke' },
  { type: 'interested' },
  { type: 'not_interested' },
  { type: 'have', index: 0xfffffffe },
  { type: 'bitfield', bitfield: Uint8Array.from([0xff, 0x80]) },
  { type: 'request', index: 1, begin: 16384, length: 16384 },
  { type: 'piece', index: 2, begin: 0, block: Uint8Array.from([1, 2, 3]) },
  { type: 'cancel', index: 1, begin: 16384, length: 16384 },
  { type: 'port', port: 6881 },
  { type: 'suggest', index: 4 },
  { type: 'have_all' },
  { type: 'have_none' },
  { type: 'reject', index: 5, begin: 0, length: 100 },
  { type: 'allowed_fast', index: 6 },
  { type: 'extended', id: 3, payload: Uint8Array.from([0x64, 0x65]) },
  { type: 'hash_request', piecesRoot: root, baseLayer: 2, index: 4, length: 4, proofLayers: 3 },
  { type: 'hashes', piecesRoot: root, baseLayer: 0, index: 0, length: 2, proofLayers: 1, hashes: new Uint8Array(96).fill(9) },
  { type: 'hash_reject', piecesRoot: root, baseLayer: 2, index: 4, length: 4, proofLayers: 3 },
  { type: 'unknown', id: 99, payload: Uint8Array.from([7]) },
];

function decodeAll(d: MessageDecoder): WireMessage[] {
  const out: WireMessage[] = [];
  for (let m = d.next(); m; m = d.next()) out.push(m);
  return out;
}

const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const plain = (m: WireMessage) => JSON.parse(JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? [...v] : v)));

describe('wire messages: layouts (BEP 3, 6, 10, 52)', () => {
  it('writes the documented frames', () => {
    assert.deepEqual(encodeMessage({ type: 'keep_alive' }), Uint8Array.from([0, 0, 0, 0]));
    assert.deepEqual(encodeMessage({ type: 'interested' }), Uint8Array.from([0, 0, 0, 1, 2]));
    assert.deepEqual(encodeMessage({ type: 'have', index: 258 }), Uint8Array.from([0, 0, 0, 5, 4, 0, 0, 1, 2]));
    assert.deepEqual(encodeMessage({ type: 'request', index: 1, begin: 2, length: 3 }), Uint8Array.from([0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]));
    assert.deepEqual(encodeMessage({ type: 'port', port: 0x1ae1 }), Uint8Array.from([0, 0, 0, 3, 9, 0x1a, 0xe1]));
    assert.deepEqual(encodeMessage({ type: 'have_all' }), Uint8Array.from([0, 0, 0, 1, 14]));
    assert.deepEqual(encodeMessage({ type: 'extended', id: 0, payload: Uint8Array.from([0x64, 0x65]) }), Uint8Array.from([0, 0, 0, 4, 20, 0, 0x64, 0x65]));
    const hr = encodeMessage({ type: 'hash_request', piecesRoot: root, baseLayer: 1, index: 2, length: 4, proofLayers: 5 });
    assert.equal(hr.length, 4 + 49);
    assert.equal(hr[4], MESSAGE_ID.hash_request);
    assert.deepEqual(hr.subarray(37), Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 5]));
  });

  it('round-trips every message type', () => {
    for (const m of SAMPLES) {
      const b = encodeMessage(m);
      assert.equal(b.length, encodedLength(m));
      const d = new MessageDecoder();
      d.push(b);
      assert.deepEqual(plain(d.next() as WireMessage), plain(m), m.type);
      assert.equal(d.next(), undefined);
    }
  });

  it('writes a piece header that precedes an uncopied block', () => {
    const block = Uint8Array.from([5, 6, 7, 8]);
    const header = encodePieceHeader(3, 16384, block.length);
    assert.deepEqual(concat([header, block]), encodeMessage({ type: 'piece', index: 3, begin: 16384, block }));
  });

  it('refuses to encode out-of-range numbers', () => {
    assert.throws(() => encodeMessage({ type: 'have', index: 2 ** 32 }), RangeError);
    assert.throws(() => encodeMessage({ type: 'port', port: 65536 }), RangeError);
    assert.throws(() => encodeMessage({ type: 'extended', id: 256, payload: new Uint8Array(0) }), RangeError);
  });

  it('rejects payloads of the wrong length for their id', () => {
    const bad: [number, number][] = [[MESSAGE_ID.choke, 1], [MESSAGE_ID.have, 3], [MESSAGE_ID.request, 13], [MESSAGE_ID.piece, 7], [MESSAGE_ID.port, 1], [MESSAGE_ID.extended, 0], [MESSAGE_ID.hash_request, 47], [MESSAGE_ID.hashes, 48 + 31]];
    for (const [id, n] of bad) {
      assert.throws(() => decodeMessageBody(id, new Uint8Array(n)), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'malformed_message', `id ${id}`);
    }
  });
});

describe('wire MessageDecoder (streaming)', () => {
  const stream = concat(SAMPLES.map(encodeMessage));

  it('decodes the same messages whatever the chunking, down to single bytes', () => {
    const whole = new MessageDecoder();
    whole.push(stream);
    const expected = decodeAll(whole).map(plain);
    for (const size of [1, 2, 3, 5, 7, 13, 64]) {
      const d = new MessageDecoder();
      const got: WireMessage[] = [];
      for (let o = 0; o < stream.length; o += size) {
        d.push(stream.subarray(o, o + size));
        got.push(...decodeAll(d));
      }
      assert.deepEqual(got.map(plain), expected, `chunks of ${size}`);
      assert.equal(d.bufferedBytes, 0);
    }
  });

  it('returns a block as a view into the pushed chunk when the message is inside one chunk', () => {
    const block = new Uint8Array(16384).fill(0x5a);
    const chunk = encodeMessage({ type: 'piece', index: 1, begin: 0, block });
    const d = new MessageDecoder();
    d.push(chunk);
    const m = d.next();
    assert.ok(m && m.type === 'piece');
    assert.equal(m.block.buffer, chunk.buffer, 'zero-copy');
    assert.equal(m.block.byteOffset, 13);
  });

  it('assembles a message that straddles chunks into one buffer', () => {
    const block = new Uint8Array(1000).fill(1);
    const b = encodeMessage({ type: 'piece', index: 1, begin: 0, block });
    const d = new MessageDecoder();
    d.push(b.subarray(0, 500));
    assert.equal(d.next(), undefined);
    d.push(b.subarray(500));
    const m = d.next();
    assert.ok(m && m.type === 'piece');
    assert.deepEqual(m.block, block);
  });

  it('rejects a length prefix over maxMessageLength before the body arrives', () => {
    const d = new MessageDecoder({ maxMessageLength: 1000 });
    d.push(Uint8Array.from([0, 0, 0x03, 0xea, MESSAGE_ID.extended])); // 1002
    assert.throws(() => d.next(), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'message_too_long');
    assert.throws(() => d.next(), PeerProtocolError, 'stays failed');
    // Longer than any message may be: rejected from the 4 length bytes alone.
    const huge = new MessageDecoder();
    huge.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
    assert.throws(() => huge.next(), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'message_too_long');
  });

  it('rejects a piece block over maxBlockLength from the header alone', () => {
    const d = new MessageDecoder({ maxBlockLength: 16384 });
    d.push(Uint8Array.from([0, 0, 0x40, 0x0a, MESSAGE_ID.piece])); // 9 + 16385
    assert.throws(() => d.next(), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'message_too_long');
    const ok = new MessageDecoder({ maxBlockLength: 16384 });
    ok.push(Uint8Array.from([0, 0, 0x40, 0x09, MESSAGE_ID.piece])); // 9 + 16384: waits for the body
    assert.equal(ok.next(), undefined);
  });

  it('rejects a fixed-size message with the wrong length prefix before buffering', () => {
    const d = new MessageDecoder();
    d.push(Uint8Array.from([0, 0x0f, 0, 0, MESSAGE_ID.have])); // a 'have' of ~1 MB
    assert.throws(() => d.next(), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'malformed_message');
  });

  it('caps bitfield and extended messages at maxMessageLength', () => {
    const d = new MessageDecoder({ maxMessageLength: 100 });
    d.push(encodeMessage({ type: 'bitfield', bitfield: new Uint8Array(100) }));
    assert.throws(() => d.next(), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'message_too_long');
    const e2 = new MessageDecoder({ maxMessageLength: 100 });
    e2.push(encodeMessage({ type: 'bitfield', bitfield: new Uint8Array(99) }));
    assert.equal(e2.next()?.type, 'bitfield');
  });

  it('hands out raw bytes (the handshake) between messages', () => {
    const d = new MessageDecoder();
    d.push(Uint8Array.from([1, 2, 3]));
    assert.equal(d.readBytes(4), undefined);
    d.push(Uint8Array.from([4, 0, 0, 0, 0]));
    assert.deepEqual(d.readBytes(4), Uint8Array.from([1, 2, 3, 4]));
    assert.equal(d.next()?.type, 'keep_alive');
  });

  it('keeps its chunk queue bounded under many tiny pushes', () => {
    const d = new MessageDecoder();
    const big = encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384) });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < big.length; i++) d.push(big.subarray(i, i + 1));
      const m = d.next();
      assert.ok(m && m.type === 'piece' && m.block.length === 16384);
    }
    assert.equal(d.bufferedBytes, 0);
  });
});
