/**
 * Handshake bytes a connection keeps, shared where they are the same (handshake.ts
 * `sharedReservedBytes`, peer-handshake.ts `shareInfoHash`): a peer's reserved bytes and our
 * own are one copy per distinct value (up to `MAX_SHARED_RESERVED` values, past which each
 * keeps its own), and the info hash a peer sent is the torrent's own copy once it matched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SHARED_RESERVED, decodeHandshakeHeader, encodeHandshake, makeReserved, sharedReservedBytes } from '../../src/wire/handshake.js';
import { PeerConnection } from '../../src/wire/peer-connection.js';

const infoHash = new Uint8Array(20).fill(7);
const peerId = (n: number): Uint8Array => new Uint8Array(20).fill(n);

describe('shared handshake bytes', () => {
  it('gives equal reserved bytes one shared copy, equal in value to what was read', () => {
    const reserved = makeReserved({ fast: true, extensionProtocol: true });
    const a = decodeHandshakeHeader(encodeHandshake({ reserved, infoHash, peerId: peerId(1) }));
    const b = decodeHandshakeHeader(encodeHandshake({ reserved: Uint8Array.from(reserved), infoHash, peerId: peerId(2) }));
    assert.equal(a.reserved, b.reserved);
    assert.deepEqual(a.reserved, reserved);
    assert.notEqual(a.infoHash, b.infoHash, 'the header alone still copies the info hash');
  });

  it('keeps a copy of the reserved bytes, not a view of the buffer they were read from', () => {
    const buf = Buffer.from([0x77, 1, 2, 3, 4, 5, 6, 0x77]);
    const r = sharedReservedBytes(buf);
    buf.fill(0);
    assert.deepEqual(r, Uint8Array.from([0x77, 1, 2, 3, 4, 5, 6, 0x77]));
  });

  it('stops sharing past MAX_SHARED_RESERVED distinct values: a peer sending new ones each time gets its own copy', () => {
    const distinct = (i: number): Uint8Array => Uint8Array.from([0xee, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 1, 2, 3, 4]);
    for (let i = 0; i < MAX_SHARED_RESERVED + 10; i++) sharedReservedBytes(distinct(i));
    const late = distinct(MAX_SHARED_RESERVED + 100);
    const x = sharedReservedBytes(late), y = sharedReservedBytes(late);
    assert.notEqual(x, y, 'no longer kept');
    assert.deepEqual(x, late);
    assert.deepEqual(y, late);
  });

  it("keeps the torrent's info hash in place of the one read, on both sides, once they match", () => {
    const ours = Uint8Array.from(infoHash);
    const out = new PeerConnection({ role: 'outgoing', peerId: peerId(1), now: 0, infoHash: ours });
    const inc = new PeerConnection({ role: 'incoming', peerId: peerId(2), now: 0 });
    inc.receive(Buffer.concat(out.takeOutgoing()), 0);
    assert.notEqual(inc.remoteInfoHash, ours, 'before accept: the copy read');
    inc.accept({ infoHash: ours, now: 0 });
    assert.equal(inc.remoteInfoHash, ours);
    const events = out.receive(Buffer.concat(inc.takeOutgoing()), 0);
    assert.ok(events.some((e) => e.type === 'handshake'));
    assert.equal(out.remoteInfoHash, ours);
    assert.equal(out.state, 'open');
    assert.equal(inc.state, 'open');
  });

  it('gives connections made alike one shared limits, geometry and feature sets', () => {
    const make = () => {
      const out = new PeerConnection({ role: 'outgoing', peerId: peerId(1), now: 0, infoHash, handshakeTimeoutMs: 5_000, geometry: { pieceCount: 9, pieceLength: 16_384, lastPieceLength: 100 } });
      const inc = new PeerConnection({ role: 'incoming', peerId: peerId(2), now: 0, infoHash, handshakeTimeoutMs: 5_000, geometry: { pieceCount: 9, pieceLength: 16_384, lastPieceLength: 100 } });
      inc.receive(Buffer.concat(out.takeOutgoing()), 0);
      out.receive(Buffer.concat(inc.takeOutgoing()), 0);
      assert.equal(out.state, 'open');
      return out;
    };
    const a = make(), b = make();
    assert.equal(a.limits, b.limits);
    assert.equal(a.limits.handshakeTimeoutMs, 5_000);
    assert.equal(a.geometry, b.geometry);
    assert.deepEqual(a.geometry, { pieceCount: 9, pieceLength: 16_384, lastPieceLength: 100 });
    assert.equal(a.remoteFeatures, b.remoteFeatures);
    assert.equal(a.negotiated, b.negotiated);
    assert.ok(Object.isFrozen(a.negotiated));
    // Other limits: their own object.
    const c = new PeerConnection({ role: 'outgoing', peerId: peerId(1), now: 0, infoHash, handshakeTimeoutMs: 6_000 });
    assert.notEqual(c.limits, a.limits);
    assert.equal(c.limits.handshakeTimeoutMs, 6_000);
    assert.equal(c.limits.maxMessageLength, a.limits.maxMessageLength);
  });
});
