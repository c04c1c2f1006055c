/**
 * Slow peers (issue 13): a request we abandoned after our timeout and asked for again can be
 * answered twice; both copies are taken (the swarm's picker keeps the second out of the
 * count), and only a copy nobody asked for is a violation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHandshake, makeReserved } from '../../src/wire/handshake.js';
import { encodeMessage, type WireMessage } from '../../src/wire/messages.js';
import { PeerConnection } from '../../src/wire/peer-connection.js';
import type { PeerEvent } from '../../src/wire/peer-types.js';

const HASH = new Uint8Array(20).fill(0xaa);
const GEO = { pieceCount: 4, pieceLength: 32768, lastPieceLength: 32768 };

function open(fast: boolean) {
  const c = new PeerConnection({ role: 'outgoing', peerId: new Uint8Array(20).fill(1), infoHash: HASH, now: 0, geometry: GEO });
  c.takeOutgoing();
  c.receive(encodeHandshake({ reserved: makeReserved({ fast, extensionProtocol: true }), infoHash: HASH, peerId: new Uint8Array(20).fill(2) }), 0);
  const send = (...ms: WireMessage[]) => c.receive(Buffer.concat(ms.map(encodeMessage)), 0);
  send(fast ? { type: 'have_all' } : { type: 'bitfield', bitfield: new Uint8Array([0xf0]) }, { type: 'unchoke' });
  return { c, send };
}

const kinds = (events: PeerEvent[]) => events.map((e) => (e.type === 'message' ? e.message.type : e.type === 'error' ? `error:${e.error.violation}` : e.type));
const block = (): WireMessage => ({ type: 'piece', index: 1, begin: 16384, block: new Uint8Array(16384) });

describe('late blocks', () => {
  for (const fast of [true, false]) {
    it(`accepts both answers to a request abandoned and asked for again (fast ${fast ? 'on' : 'off'}), and rejects a third`, () => {
      const { c, send } = open(fast);
      assert.ok(c.request(1, 16384, 16384));
      assert.ok(c.abandonRequest(1, 16384, 16384));
      assert.ok(c.request(1, 16384, 16384), 'asked again');
      assert.deepEqual(kinds(send(block())), ['piece']);
      assert.deepEqual(kinds(send(block())), ['piece'], 'the late copy is no violation');
      assert.equal(c.outstandingRequests.size, 0);
      assert.deepEqual(kinds(send(block())), ['error:unrequested_piece'], 'a copy nobody asked for still is');
    });
  }

  it('tolerates one late answer per abandoned request, however often a block was abandoned', () => {
    const { c, send } = open(true);
    for (let i = 0; i < 3; i++) {
      assert.ok(c.request(0, 0, 16384));
      assert.ok(c.abandonRequest(0, 0, 16384));
    }
    for (let i = 0; i < 3; i++) assert.deepEqual(kinds(send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384) })), ['piece']);
    assert.deepEqual(kinds(send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384) })), ['error:unrequested_piece']);
  });
});
