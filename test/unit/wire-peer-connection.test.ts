import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShoalError } from '../../src/errors.js';
import { Bitfield } from '../../src/wire/bitfield.js';
import { encodeHandshake, makeReserved } from '../../src/wire/handshake.js';
import { encodeMessage, type WireMessage } from '../../src/wire/messages.js';
import { PeerConnection } from '../../src/wire/peer-connection.js';
import type { PeerConnectionOptions, PeerEvent, PieceGeometry } from '../../src/wire/peer-types.js';

const HASH = new Uint8Array(20).fill(0xaa);
const ID_A = new Uint8Array(20).fill(0x41);
const ID_B = new Uint8Array(20).fill(0x42);
const GEO: PieceGeometry = { pieceCount: 10, pieceLength: 32768, lastPieceLength: 1000 };

type Opts = Partial<PeerConnectionOptions>;

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Moves everything `from` queued into `to`, in one chunk; returns `to`'s events. */
function pump(from: PeerConnection, to: PeerConnection, now = 0): PeerEvent[] {
  const bytes = concat(from.takeOutgoing());
  return bytes.length ? to.receive(bytes, now) : [];
}

const messages = (events: PeerEvent[]) => events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
const types = (events: PeerEvent[]) => events.map((e) => (e.type === 'message' ? e.message.type : e.type));
const errorOf = (events: PeerEvent[]) => {
  const e = events.find((x) => x.type === 'error');
  return e && e.type === 'error' ? e.error.violation : undefined;
};

/** Two connected peers, handshakes done: A dialled B. */
function pair(a: Opts = {}, b: Opts = {}) {
  const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 0, geometry: GEO, ...a });
  const B = new PeerConnection({ role: 'incoming', peerId: ID_B, infoHash: HASH, now: 0, geometry: GEO, ...b });
  const bEvents = pump(A, B);
  const aEvents = pump(B, A);
  assert.equal(A.state, 'open');
  assert.equal(B.state, 'open');
  return { A, B, aEvents, bEvents };
}

/** A connection (we dialled) fed by a scripted remote that speaks raw bytes. */
function scripted(opts: Opts = {}, remote: { fast?: boolean; ext?: boolean } = { fast: true, ext: true }) {
  const c = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 0, geometry: GEO, ...opts });
  c.takeOutgoing();
  const hs = encodeHandshake({ reserved: makeReserved({ fast: remote.fast, extensionProtocol: remote.ext }), infoHash: HASH, peerId: ID_B });
  const events = c.receive(hs, 0);
  assert.equal(events[0]?.type, 'handshake');
  const send = (...ms: WireMessage[]) => c.receive(concat(ms.map(encodeMessage)), 0);
  return { c, send };
}

describe('PeerConnection handshake (BEP 3)', () => {
  it('completes both ways and negotiates the features both sides announce', () => {
    const { aEvents, bEvents } = pair({ features: { fast: true, dht: true } }, { features: { fast: true, dht: false } });
    const hs = aEvents[0];
    assert.ok(hs.type === 'handshake');
    assert.deepEqual(hs.peerId, ID_B);
    assert.deepEqual(hs.negotiated, { extensionProtocol: true, fast: true, dht: false, v2Upgrade: false });
    assert.equal(bEvents[0].type, 'handshake');
  });

  it('on an incoming connection, shows the info hash before answering and waits for accept()', () => {
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 0 });
    const B = new PeerConnection({ role: 'incoming', peerId: ID_B, now: 0 });
    const bytes = concat(A.takeOutgoing());
    const events: PeerEvent[] = [];
    for (let i = 0; i < bytes.length; i++) events.push(...B.receive(bytes.subarray(i, i + 1), i));
    assert.deepEqual(types(events), ['info_hash']);
    assert.equal(B.state, 'awaiting_accept');
    assert.deepEqual(B.remoteInfoHash, HASH);
    assert.equal(B.outgoingBytes, 0, 'nothing sent before accept');
    const after = B.accept({ infoHash: HASH, geometry: GEO, now: 100 });
    assert.deepEqual(types(after), ['handshake'], 'the peer id was already buffered');
    assert.deepEqual(types(pump(B, A)), ['handshake']);
  });

  it('drops an incoming peer that floods before we answer its handshake', () => {
    const B = new PeerConnection({ role: 'incoming', peerId: ID_B, now: 0, maxMessageLength: 1000 });
    const hs = encodeHandshake({ reserved: makeReserved({}), infoHash: HASH, peerId: ID_A });
    assert.deepEqual(types(B.receive(hs, 0)), ['info_hash']);
    assert.deepEqual(B.receive(new Uint8Array(1500), 0), []);
    assert.equal(errorOf(B.receive(new Uint8Array(1000), 0)), 'unexpected_message');
  });

  it('severs a handshake for another torrent', () => {
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 0 });
    A.takeOutgoing();
    const other = encodeHandshake({ reserved: makeReserved({}), infoHash: new Uint8Array(20).fill(1), peerId: ID_B });
    assert.equal(errorOf(A.receive(other, 0)), 'info_hash_mismatch');
    assert.equal(A.state, 'closed');
  });

  it('accepts the truncated v2 info hash when the hybrid upgrade is allowed (BEP 52)', () => {
    const v2 = new Uint8Array(20).fill(0x22);
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, acceptInfoHashes: [HASH, v2], features: { v2Upgrade: true }, now: 0 });
    const ev = A.receive(encodeHandshake({ reserved: makeReserved({ v2Upgrade: true }), infoHash: v2, peerId: ID_B }), 0);
    assert.ok(ev[0].type === 'handshake' && ev[0].infoHash[0] === 0x22 && ev[0].negotiated.v2Upgrade);
  });

  it('needs both info hashes before announcing the v2 upgrade on an outgoing connection', () => {
    assert.throws(() => new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, features: { v2Upgrade: true }, now: 0 }), RangeError);
  });

  it('lets an accepting side upgrade a hybrid connection by answering with the v2 hash', () => {
    const v2 = new Uint8Array(20).fill(0x22);
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, acceptInfoHashes: [HASH, v2], features: { v2Upgrade: true }, now: 0 });
    const B = new PeerConnection({ role: 'incoming', peerId: ID_B, now: 0 });
    const seen = pump(A, B);
    assert.ok(seen[0].type === 'info_hash' && (seen[0].reserved[7] & 0x10) !== 0);
    B.accept({ infoHash: v2, now: 0 });
    const ev = pump(B, A);
    assert.ok(ev[0].type === 'handshake' && ev[0].infoHash[0] === 0x22);
  });

  it('raises the message limit to fit the bitfield of a torrent with many pieces', () => {
    const many: PieceGeometry = { pieceCount: 10_000_000, pieceLength: 16384, lastPieceLength: 16384 };
    const { c, send } = scripted({ geometry: many });
    const bitfield = new Uint8Array(many.pieceCount / 8).fill(0xff);
    assert.deepEqual(types(send({ type: 'bitfield', bitfield })), ['bitfield']);
    assert.equal(c.peerPieces?.complete, true);
  });

  it('severs a peer whose id differs from the announced one', () => {
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, expectedPeerId: ID_A, now: 0 });
    assert.equal(errorOf(A.receive(encodeHandshake({ reserved: makeReserved({}), infoHash: HASH, peerId: ID_B }), 0)), 'peer_id_mismatch');
  });

  it('rejects a stream that is not the BitTorrent protocol', () => {
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 0 });
    assert.equal(errorOf(A.receive(new Uint8Array(68).fill(19), 0)), 'bad_handshake');
  });

  it('refuses to send messages before the handshake completes (a bug of ours)', () => {
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 0 });
    assert.throws(() => A.interested(), ShoalError);
    assert.throws(() => new PeerConnection({ role: 'outgoing', peerId: ID_A, now: 0 }), RangeError);
  });
});

describe('PeerConnection state (BEP 3)', () => {
  it('starts choked and not interested, and tracks changes both ways', () => {
    const { A, B } = pair();
    assert.equal(A.amChoking && A.peerChoking && !A.amInterested && !A.peerInterested, true);
    A.interested();
    A.interested(); // idempotent
    B.unchoke();
    assert.deepEqual(types(pump(A, B)).filter((t) => t !== 'have_none'), ['interested']);
    pump(B, A);
    assert.equal(B.peerInterested, true);
    assert.equal(A.peerChoking, false);
    A.notInterested();
    pump(A, B);
    assert.equal(B.peerInterested, false);
  });

  it('announces pieces first: have_all / have_none with fast, a bitfield otherwise', () => {
    const full = pair();
    full.B.sendAvailability('all');
    assert.deepEqual(types(pump(full.B, full.A)), ['have_all']);
    assert.equal(full.A.peerPieces?.complete, true);

    const slow = pair({ features: { fast: false } }, { features: { fast: false } });
    slow.B.sendAvailability('all');
    const ev = pump(slow.B, slow.A);
    assert.deepEqual(types(ev), ['bitfield']);
    assert.equal(slow.A.peerPieces?.count, 10);

    const some = pair();
    const bf = new Bitfield(10);
    bf.set(3);
    some.B.sendAvailability(bf);
    pump(some.B, some.A);
    assert.equal(some.A.peerHas(3), true);
    assert.equal(some.A.peerHas(4), false);
  });

  it('sends have_none first when something else goes out first with fast, and then refuses sendAvailability', () => {
    const { A, B } = pair();
    A.interested();
    assert.deepEqual(types(pump(A, B)), ['have_none', 'interested']);
    assert.throws(() => A.sendAvailability('all'), ShoalError);
  });

  it('records haves both ways', () => {
    const { A, B } = pair();
    B.sendAvailability('none');
    B.sendHave(2);
    B.sendHave(2);
    assert.deepEqual(types(pump(B, A)), ['have_none', 'have']);
    assert.equal(A.peerHas(2), true);
  });

  it('drops a peer whose bitfield has the wrong length; ignores spare bits set (as libtorrent)', () => {
    for (const bitfield of [Uint8Array.from([0xff]), Uint8Array.from([0xff, 0xc0, 0])]) {
      const { send } = scripted();
      assert.equal(errorOf(send({ type: 'bitfield', bitfield })), 'bad_bitfield');
    }
    const spare = scripted();
    assert.deepEqual(types(spare.send({ type: 'bitfield', bitfield: Uint8Array.from([0xff, 0xff]) })), ['bitfield']);
    assert.equal(spare.c.peerPieces?.count, 10);
  });

  it('drops a peer announcing a have out of range; ignores allowed_fast and suggest out of range (as libtorrent)', () => {
    assert.equal(errorOf(scripted().send({ type: 'have', index: 10 })), 'index_out_of_range');
    const lax = scripted();
    assert.deepEqual(types(lax.send({ type: 'have_none' }, { type: 'allowed_fast', index: 99 }, { type: 'suggest', index: 10 })), ['have_none']);
    assert.equal(lax.c.state, 'open');
    assert.equal(lax.c.allowedFast.size, 0);
  });

  it('merges a bitfield sent after have_none, as aria2 does, and reports the pieces it adds as haves', () => {
    const { c, send } = scripted();
    assert.deepEqual(types(send({ type: 'have_none' })), ['have_none']);
    const ev = send({ type: 'have', index: 1 }, { type: 'bitfield', bitfield: Uint8Array.from([0x60, 0x40]) });
    assert.deepEqual(messages(ev), [{ type: 'have', index: 1 }, { type: 'have', index: 2 }, { type: 'have', index: 9 }]);
    assert.equal(c.state, 'open');
    assert.deepEqual([...(c.peerPieces?.indices() ?? [])], [1, 2, 9]);
  });

  it('merges a second bitfield, a bitfield after haves, and have_all after a bitfield; a later have_none withdraws nothing', () => {
    const { c, send } = scripted();
    send({ type: 'have', index: 0 }, { type: 'have', index: 0 });
    assert.deepEqual(messages(send({ type: 'bitfield', bitfield: Uint8Array.from([0xc0, 0]) })), [{ type: 'have', index: 1 }], 'bitfield after haves');
    assert.deepEqual(messages(send({ type: 'bitfield', bitfield: Uint8Array.from([0xe0, 0]) })), [{ type: 'have', index: 2 }], 'second bitfield');
    assert.deepEqual(messages(send({ type: 'have_none' })), []);
    assert.equal(c.peerPieces?.count, 3);
    assert.deepEqual(messages(send({ type: 'have_all' })).map((m) => m.type === 'have' && m.index), [3, 4, 5, 6, 7, 8, 9]);
    assert.equal(c.peerPieces?.complete, true);
    assert.equal(c.state, 'open');
  });

  it('accepts have_all before the extended handshake, and duplicate haves', () => {
    const { c, send } = scripted();
    const ev = send({ type: 'have_all' }, { type: 'have', index: 3 }, { type: 'extended', id: 0, payload: Uint8Array.from(Buffer.from('d1:md6:ut_pexi1eee')) }, { type: 'have', index: 3 });
    assert.deepEqual(types(ev), ['have_all', 'extended_handshake']);
    assert.equal(c.state, 'open');
  });

  it('merges announcements held before the piece count is known', () => {
    const bf = scripted({ geometry: undefined });
    assert.deepEqual(types(bf.send({ type: 'have_none' }, { type: 'bitfield', bitfield: Uint8Array.from([0x80, 0]) }, { type: 'bitfield', bitfield: Uint8Array.from([0x40, 0x40]) })), ['have_none']);
    assert.deepEqual(bf.c.setGeometry(GEO), []);
    assert.deepEqual([...(bf.c.peerPieces?.indices() ?? [])], [0, 1, 9]);
    const all = scripted({ geometry: undefined });
    all.send({ type: 'bitfield', bitfield: Uint8Array.from([0x80, 0]) }, { type: 'have_all' }, { type: 'have_none' });
    all.c.setGeometry(GEO);
    assert.equal(all.c.peerPieces?.complete, true);
  });

  it('drops a peer that sends fast-extension messages without negotiating it (BEP 6)', () => {
    for (const m of [{ type: 'have_all' }, { type: 'have_none' }, { type: 'suggest', index: 1 }, { type: 'allowed_fast', index: 1 }, { type: 'reject', index: 0, begin: 0, length: 1 }] as WireMessage[]) {
      assert.equal(errorOf(scripted({}, { fast: false, ext: true }).send(m)), 'not_negotiated', m.type);
    }
  });

  it('holds announcements until the piece count is known, then checks them', () => {
    const ok = scripted({ geometry: undefined });
    assert.deepEqual(types(ok.send({ type: 'bitfield', bitfield: Uint8Array.from([0xff, 0xc0]) }, { type: 'have', index: 3 })), ['bitfield', 'have']);
    assert.deepEqual(ok.c.setGeometry(GEO), []);
    assert.equal(ok.c.peerPieces?.count, 10);

    const bad = scripted({ geometry: undefined });
    bad.send({ type: 'have_none' }, { type: 'have', index: 12 });
    assert.equal(errorOf(bad.c.setGeometry(GEO)), 'index_out_of_range');
    assert.equal(bad.c.state, 'closed');

    const flood = scripted({ geometry: undefined, maxPendingHaves: 3 });
    assert.equal(errorOf(flood.send(...[1, 2, 3, 4].map((index) => ({ type: 'have', index }) as WireMessage))), 'unexpected_message');
  });

  it('drops a peer whose message is longer than maxMessageLength', () => {
    const { send } = scripted({ maxMessageLength: 1000 });
    assert.equal(errorOf(send({ type: 'extended', id: 1, payload: new Uint8Array(1000) })), 'message_too_long');
  });

  it('ignores unknown message ids and keep-alives', () => {
    const { send, c } = scripted();
    assert.deepEqual(send({ type: 'unknown', id: 77, payload: Uint8Array.from([1]) }, { type: 'keep_alive' }), []);
    assert.equal(c.state, 'open');
  });
});

describe('PeerConnection requests and blocks (BEP 3, 6)', () => {
  function seeding(a: Opts = {}, b: Opts = {}) {
    const p = pair(a, b);
    p.B.sendAvailability('all');
    pump(p.B, p.A);
    p.A.sendAvailability('none');
    p.A.interested();
    pump(p.A, p.B);
    p.B.unchoke();
    pump(p.B, p.A);
    return p;
  }

  it('requests a block, serves it without copying, and settles the request', () => {
    const { A, B } = seeding();
    assert.equal(A.request(1, 0, 16384), true);
    assert.equal(A.request(1, 0, 16384), false, 'already outstanding');
    const reqs = messages(pump(A, B));
    assert.deepEqual(reqs, [{ type: 'request', index: 1, begin: 0, length: 16384 }]);
    assert.equal(B.peerRequests.size, 1);
    const block = new Uint8Array(16384).fill(7);
    assert.equal(B.sendPiece(1, 0, block), true);
    const out = B.takeOutgoing();
    assert.equal(out[out.length - 1], block, 'the block itself is queued');
    const got = messages(A.receive(concat(out), 1));
    assert.ok(got[0].type === 'piece' && got[0].block.length === 16384);
    assert.equal(A.outstandingRequests.size, 0);
    assert.equal(A.counters.payloadReceived, 16384);
    assert.equal(B.counters.payloadSent, 16384);
    assert.equal(B.sendPiece(1, 0, block), false, 'answered already');
  });

  it('refuses to request from a choking peer or for a piece the peer lacks', () => {
    const { A, B } = pair();
    B.sendAvailability('none');
    B.sendHave(1);
    pump(B, A);
    assert.equal(A.request(1, 0, 100), false, 'choked');
    B.unchoke();
    pump(B, A);
    assert.equal(A.request(2, 0, 100), false, 'peer lacks piece 2');
    assert.equal(A.request(1, 0, 100), true);
    assert.throws(() => A.request(9, 900, 200), RangeError, 'past the end of the last piece');
    assert.throws(() => A.request(1, 0, 16385), RangeError, 'over maxBlockLength');
  });

  it('caps outstanding requests at maxOutstandingRequests and at the peer\'s reqq', () => {
    const { A } = seeding({ maxOutstandingRequests: 3 });
    assert.equal(A.requestSlots, 3);
    for (let i = 0; i < 3; i++) assert.equal(A.request(0, i * 1024, 1024), true);
    assert.equal(A.request(0, 3 * 1024, 1024), false);
    const C = seeding();
    C.B.sendExtendedHandshake({});
    pump(C.B, C.A);
    assert.equal(C.A.requestSlots, 250, "the peer's reqq");
  });

  it('drops a peer that sends a block we never requested (BEP 6 MUST), or ignores it when configured', () => {
    const strict = scripted();
    assert.equal(errorOf(strict.send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(10) })), 'unrequested_piece');
    const lax = scripted({ unrequestedPiece: 'ignore' });
    assert.deepEqual(lax.send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(10) }), []);
    assert.equal(lax.c.state, 'open');
  });

  it('drops a peer that requests a piece we never announced, out of range, or too long', () => {
    const cases: [WireMessage, string][] = [
      [{ type: 'request', index: 3, begin: 0, length: 16384 }, 'request_for_missing_piece'],
      [{ type: 'request', index: 10, begin: 0, length: 16384 }, 'index_out_of_range'],
      [{ type: 'request', index: 0, begin: 0, length: 16385 }, 'bad_request'],
      [{ type: 'request', index: 9, begin: 0, length: 1001 }, 'bad_request'],
      [{ type: 'request', index: 0, begin: 0, length: 0 }, 'bad_request'],
    ];
    for (const [m, violation] of cases) {
      const { c, send } = scripted();
      const bf = new Bitfield(10);
      bf.set(0);
      bf.set(9);
      c.sendAvailability(bf);
      c.unchoke();
      assert.equal(errorOf(send(m)), violation, JSON.stringify(m));
    }
  });

  it('rejects requests over maxPeerRequests while unchoked; pipelining is forgiven as it is served, a flood is dropped', () => {
    const { c, send } = scripted({ maxPeerRequests: 2, maxRefusedRequests: 3 });
    c.sendAvailability('all');
    c.unchoke();
    c.takeOutgoing();
    const req = (i: number): WireMessage => ({ type: 'request', index: 0, begin: i * 100, length: 100 });
    const accepted = messages(send(req(0), req(1), req(2), req(3), req(4)));
    assert.equal(accepted.length, 2, 'up to maxPeerRequests are taken');
    assert.equal(c.state, 'open', '3 refusals over the limit are within maxRefusedRequests');
    const rejects = c.takeOutgoing().reduce((n, b) => n + b.length, 0);
    assert.equal(rejects, 3 * encodeMessage({ type: 'reject', index: 0, begin: 0, length: 100 }).length, 'each excess request rejected (BEP 6)');
    // A client that pipelines past our reqq (aria2 ignores it) is being served: its count starts again.
    c.sendPiece(0, 0, new Uint8Array(100));
    assert.equal(messages(send(req(5))).length, 1, 'room again: taken');
    send(req(6), req(7), req(8));
    assert.equal(c.state, 'open', 'the count started again with the request taken');
    // One that never reads is never served: its excess keeps counting, and it is dropped.
    assert.equal(errorOf(send(req(9))), 'too_many_requests');
  });

  it('rejects requests while choking with fast, ignores them without, and drops a flooding peer', () => {
    const fast = scripted({ maxRefusedRequests: 3 });
    fast.c.sendAvailability('all');
    fast.c.takeOutgoing();
    assert.deepEqual(fast.send({ type: 'request', index: 0, begin: 0, length: 100 }), []);
    assert.deepEqual(concat(fast.c.takeOutgoing()), encodeMessage({ type: 'reject', index: 0, begin: 0, length: 100 }));
    fast.send({ type: 'request', index: 0, begin: 100, length: 100 }, { type: 'request', index: 0, begin: 200, length: 100 });
    assert.equal(errorOf(fast.send({ type: 'request', index: 0, begin: 300, length: 100 })), 'too_many_requests');

    const slow = scripted({}, { fast: false, ext: true });
    slow.c.sendAvailability('all');
    slow.c.takeOutgoing();
    assert.deepEqual(slow.send({ type: 'request', index: 0, begin: 0, length: 100 }), []);
    assert.equal(slow.c.outgoingBytes, 0, 'no reject without fast');
  });

  it('holds at most maxPeerRequests of the peer\'s requests and rejects the rest (fast)', () => {
    const { c, send } = scripted({ maxPeerRequests: 2 });
    c.sendAvailability('all');
    c.unchoke();
    c.takeOutgoing();
    const ev = send(...[0, 1, 2].map((i) => ({ type: 'request', index: 0, begin: i * 100, length: 100 }) as WireMessage));
    assert.equal(messages(ev).length, 2);
    assert.equal(c.peerRequests.size, 2);
    assert.deepEqual(concat(c.takeOutgoing()), encodeMessage({ type: 'reject', index: 0, begin: 200, length: 100 }));
  });

  it('with fast, choking rejects pending requests except allowed-fast pieces, which may still be requested', () => {
    const { A, B } = seeding();
    assert.equal(B.allowFast(4), true);
    pump(B, A);
    assert.deepEqual([...A.allowedFast], [4]);
    A.request(4, 0, 100);
    A.request(5, 0, 100);
    pump(A, B);
    const dropped = B.choke();
    assert.deepEqual(dropped, [{ index: 5, begin: 0, length: 100 }]);
    const ev = pump(B, A);
    assert.deepEqual(types(ev), ['choke', 'reject']);
    assert.deepEqual([...A.outstandingRequests.values()], [{ index: 4, begin: 0, length: 100 }]);
    assert.equal(A.request(4, 100, 100), true, 'allowed fast while choked');
    assert.equal(A.request(5, 0, 100), false);
    assert.equal(messages(pump(A, B)).length, 1, 'B accepts it while choking');
  });

  it('without fast, a choke drops our requests and a block already in flight is still accepted', () => {
    const { A, B } = seeding({ features: { fast: false } }, { features: { fast: false } });
    A.request(0, 0, 100);
    A.request(0, 100, 100);
    pump(A, B);
    B.sendPiece(0, 0, new Uint8Array(100)); // in flight when B chokes
    B.choke();
    const ev = pump(B, A);
    assert.deepEqual(types(ev), ['piece', 'choke', 'requests_dropped']);
    const dropped = ev.find((e) => e.type === 'requests_dropped');
    assert.ok(dropped && dropped.type === 'requests_dropped' && dropped.requests.length === 1);
    assert.equal(A.outstandingRequests.size, 0);
    assert.equal(B.peerRequests.size, 0);
  });

  it('cancels: with fast the peer still answers with a reject; without fast a late block is accepted', () => {
    const fast = seeding();
    fast.A.request(0, 0, 100);
    pump(fast.A, fast.B);
    assert.equal(fast.A.cancel(0, 0, 100), true);
    assert.equal(fast.A.outstandingRequests.size, 1, 'still outstanding until answered');
    assert.deepEqual(types(pump(fast.A, fast.B)), ['cancel']);
    assert.equal(fast.B.sendPiece(0, 0, new Uint8Array(100)), false, 'cancelled');
    assert.deepEqual(types(pump(fast.B, fast.A)), ['reject']);
    assert.equal(fast.A.outstandingRequests.size, 0);

    const slow = seeding({ features: { fast: false } }, { features: { fast: false } });
    slow.A.request(0, 0, 100);
    pump(slow.A, slow.B);
    slow.B.sendPiece(0, 0, new Uint8Array(100));
    slow.A.cancel(0, 0, 100);
    assert.deepEqual(types(pump(slow.B, slow.A)), ['piece'], 'crossed the cancel: no violation');
    pump(slow.A, slow.B);
    assert.equal(slow.B.sendPiece(0, 0, new Uint8Array(100)), false);
  });

  it('abandons a request without a message: the slot frees and a late answer is still accepted', () => {
    const { A, B } = seeding({ maxOutstandingRequests: 1 });
    A.request(0, 0, 100);
    pump(A, B);
    assert.equal(A.requestSlots, 0);
    assert.equal(A.abandonRequest(0, 0, 100), true);
    assert.equal(A.outgoingBytes, 0, 'nothing sent');
    assert.equal(A.requestSlots, 1);
    B.reject(0, 0, 100);
    assert.deepEqual(types(pump(B, A)), ['reject'], 'late reject tolerated');
    assert.equal(A.abandonRequest(0, 0, 100), false);
  });

  it('ignores a reject for a request we never sent (as libtorrent)', () => {
    const { c, send } = scripted();
    assert.deepEqual(send({ type: 'reject', index: 0, begin: 0, length: 100 }), []);
    assert.equal(c.state, 'open');
  });
});

describe('PeerConnection time: keep-alives and timeouts', () => {
  it('sends a keep-alive after keepAliveIntervalMs of our silence', () => {
    const { A } = pair({ keepAliveIntervalMs: 60_000, idleTimeoutMs: 180_000 });
    assert.equal(A.nextDeadline(), 60_000);
    assert.deepEqual(A.poll(59_999), []);
    assert.equal(A.outgoingBytes, 0);
    A.poll(60_000);
    assert.deepEqual(concat(A.takeOutgoing()), Uint8Array.from([0, 0, 0, 0]));
    assert.equal(A.nextDeadline(), 120_000);
  });

  it('sends the keep-alive when polled at its own deadline with fractional times (no zero-delay timer loop)', () => {
    // (t + 120000) - t < 120000 in floating point for this t: polling at nextDeadline() must still act.
    const t = 439258.4606520839;
    assert.ok(t + 120_000 - t < 120_000, 'the rounding this test is about');
    const { A } = pair({ keepAliveIntervalMs: 120_000, idleTimeoutMs: 10_000_000 });
    A.poll(t);
    A.takeOutgoing();
    const due = A.nextDeadline();
    assert.equal(due, t + 120_000);
    A.poll(due);
    assert.deepEqual(concat(A.takeOutgoing()), Uint8Array.from([0, 0, 0, 0]));
    assert.ok(A.nextDeadline() > due, 'the deadline moved on');
  });

  it('times out an idle peer when polled at its own deadline with fractional times', () => {
    const t = 439258.4606520839;
    const { A, B } = pair({ idleTimeoutMs: 120_000, keepAliveIntervalMs: 10_000_000 });
    B.sendAvailability('none');
    pump(B, A, t);
    assert.deepEqual(A.poll(A.nextDeadline()), [{ type: 'timeout', reason: 'idle' }]);
  });

  it('times out a peer silent for idleTimeoutMs', () => {
    const { A, B } = pair({ idleTimeoutMs: 180_000 });
    B.sendAvailability('none');
    pump(B, A, 100_000);
    assert.deepEqual(A.poll(279_999), []);
    assert.deepEqual(A.poll(280_000), [{ type: 'timeout', reason: 'idle' }]);
    assert.equal(A.state, 'closed');
    assert.equal(A.nextDeadline(), Infinity);
  });

  it('times out a handshake that takes longer than handshakeTimeoutMs', () => {
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 1000, handshakeTimeoutMs: 20_000 });
    assert.equal(A.nextDeadline(), 21_000);
    assert.deepEqual(A.poll(21_000), [{ type: 'timeout', reason: 'handshake' }]);
  });

  it('ignores input and refuses sends once closed', () => {
    const { A, B } = pair();
    A.close();
    B.sendAvailability('all');
    assert.deepEqual(pump(B, A), []);
    assert.equal(A.request(0, 0, 1), false);
    assert.deepEqual(A.choke(), []);
  });
});

describe('PeerConnection extension protocol (BEP 10, 9, 11)', () => {
  it('exchanges extended handshakes and routes ut_metadata and ut_pex to typed events', () => {
    const { A, B } = pair();
    A.sendExtendedHandshake({ v: 'Shoal', metadataSize: 1234 });
    B.sendExtendedHandshake({});
    const bEv = pump(A, B);
    const hs = bEv.find((e) => e.type === 'extended_handshake');
    assert.ok(hs && hs.type === 'extended_handshake' && hs.handshake.metadataSize === 1234 && hs.handshake.v === 'Shoal');
    assert.equal(B.remoteExtendedHandshake?.reqq, 250);
    pump(B, A);
    assert.equal(B.sendMetadata({ type: 'request', piece: 0 }), true);
    assert.equal(B.sendPex({ added: [{ host: '1.2.3.4', port: 5, flags: 0 }], dropped: [] }), true);
    const aEv = pump(B, A);
    assert.deepEqual(types(aEv).filter((t) => t !== 'have_none'), ['metadata', 'pex']);
    const md = aEv.find((e) => e.type === 'metadata');
    assert.ok(md && md.type === 'metadata' && md.message.type === 'request');
  });

  it('does not send extensions the peer did not announce', () => {
    const { A } = pair();
    assert.equal(A.sendMetadata({ type: 'request', piece: 0 }), false);
    assert.equal(A.sendExtension('lt_donthave', new Uint8Array(0)), false);
  });

  it('drops a peer that sends extended messages without the extension bit', () => {
    assert.equal(errorOf(scripted({}, { fast: true, ext: false }).send({ type: 'extended', id: 0, payload: new Uint8Array(0) })), 'not_negotiated');
  });

  it('drops a peer whose extended handshake or ut_pex message is malformed', () => {
    assert.equal(errorOf(scripted().send({ type: 'extended', id: 0, payload: Uint8Array.from([0x69]) })), 'bad_extension_message');
    assert.equal(errorOf(scripted().send({ type: 'extended', id: 1, payload: Uint8Array.from(Buffer.from('d5:added1:xe')) })), 'bad_pex');
    assert.equal(errorOf(scripted().send({ type: 'extended', id: 2, payload: Uint8Array.from(Buffer.from('le')) })), 'bad_metadata');
  });

  it('ignores extended ids we never assigned', () => {
    assert.deepEqual(scripted().send({ type: 'extended', id: 200, payload: new Uint8Array(3) }), []);
  });
});

describe('PeerConnection hash messages (BEP 52)', () => {
  const root = new Uint8Array(32).fill(5);
  const r = { piecesRoot: root, baseLayer: 0, index: 0, length: 2, proofLayers: 1 };

  it('correlates hashes with our hash request', () => {
    const { A, B } = pair();
    assert.equal(A.requestHashes(r), true);
    assert.equal(A.requestHashes(r), false, 'outstanding already');
    const bEv = pump(A, B);
    assert.deepEqual(types(bEv).filter((t) => t !== 'have_none'), ['hash_request']);
    assert.equal(B.sendHashes(r, new Uint8Array(96)), true);
    assert.equal(B.sendHashes(r, new Uint8Array(96)), false, 'answered already');
    assert.deepEqual(types(pump(B, A)).filter((t) => t !== 'have_none'), ['hashes']);
    assert.equal(A.requestHashes(r), true, 'answered, so it may be asked again');
  });

  it('drops a peer that sends hashes or a hash reject we never asked for', () => {
    assert.equal(errorOf(scripted().send({ type: 'hashes', ...r, hashes: new Uint8Array(96) })), 'unrequested_hashes');
    assert.equal(errorOf(scripted().send({ type: 'hash_reject', ...r })), 'unrequested_hashes');
  });

  it('answers a malformed hash request with a hash reject', () => {
    const { c, send } = scripted();
    c.sendAvailability('none');
    c.takeOutgoing();
    assert.deepEqual(send({ type: 'hash_request', ...r, length: 3 }), []);
    assert.deepEqual(concat(c.takeOutgoing()), encodeMessage({ type: 'hash_reject', ...r, length: 3 }));
  });
});

describe('PeerConnection typed framing (simulator transport)', () => {
  it('exchanges typed frames instead of bytes', () => {
    const A = new PeerConnection({ role: 'outgoing', peerId: ID_A, infoHash: HASH, now: 0, geometry: GEO, framing: 'messages' });
    const B = new PeerConnection({ role: 'incoming', peerId: ID_B, infoHash: HASH, now: 0, geometry: GEO, framing: 'messages' });
    const move = (from: PeerConnection, to: PeerConnection) => {
      const ev: PeerEvent[] = [];
      for (const f of from.takeOutgoingFrames()) ev.push(...(f.type === 'handshake' ? to.receiveHandshake(f.handshake, 0) : to.receiveMessage(f, 0)));
      return ev;
    };
    assert.deepEqual(types(move(A, B)), ['handshake']);
    assert.deepEqual(types(move(B, A)), ['handshake']);
    B.sendAvailability('all');
    B.unchoke();
    move(B, A);
    A.request(0, 0, 16384);
    move(A, B);
    B.sendPiece(0, 0, new Uint8Array(16384));
    assert.deepEqual(types(move(B, A)), ['piece']);
    assert.throws(() => A.takeOutgoing(), ShoalError);
  });
});
