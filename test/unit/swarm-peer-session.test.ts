/**
 * PeerSession: the pending events of a new connection (the peer's handshake) are handled
 * before any bytes its stream held back, and a throw in the swarm's handling closes that
 * one peer, not the process.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Address, ByteStream, Runtime } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { LINGER_MS, PeerSession, type PeerSessionHandler } from '../../src/swarm/peer-session.js';
import { encodeHandshake, makeReserved } from '../../src/wire/handshake.js';
import { encodeMessage } from '../../src/wire/messages.js';
import { PeerConnection } from '../../src/wire/peer-connection.js';
import type { PeerEvent } from '../../src/wire/peer-types.js';

const HASH = new Uint8Array(20).fill(0xaa);
const GEO = { pieceCount: 4, pieceLength: 32768, lastPieceLength: 32768 };
const REMOTE: Address = { host: '10.0.0.2', port: 6881 };

/** A stream that, like uTP's and MSE's, holds bytes that arrived before `onData` and hands them over inside it. */
class HoldingStream implements ByteStream {
  readonly local: Address = { host: '10.0.0.1', port: 50000 };
  readonly remote = REMOTE;
  readonly bufferedBytes = 0;
  destroyed = false;
  constructor(private held: Uint8Array[]) {}
  write(): boolean { return true; }
  writev(): boolean { return true; }
  end(): void {}
  destroy(): void { this.destroyed = true; }
  onData(handler: (data: Uint8Array) => void): void {
    const held = this.held;
    this.held = [];
    for (const b of held) handler(b);
  }
  onEnd(): void {}
  onClose(_handler: (error?: Error) => void): void {}
  onDrain(): void {}
}

const runtime = { clock: { now: () => 0, setTimer: () => ({ cancel() {} }) }, random: new SeededRandom(1) } as unknown as Runtime; // only the clock is used

/** An outgoing connection that has received the peer's handshake (the pending events) and whose stream holds its next message. */
function connected(): { conn: PeerConnection; pending: PeerEvent[]; stream: HoldingStream } {
  const conn = new PeerConnection({ role: 'outgoing', peerId: new Uint8Array(20).fill(1), infoHash: HASH, now: 0, geometry: GEO });
  conn.takeOutgoing();
  const pending = conn.receive(encodeHandshake({ reserved: makeReserved({ fast: true, extensionProtocol: true }), infoHash: HASH, peerId: new Uint8Array(20).fill(2) }), 0);
  return { conn, pending, stream: new HoldingStream([encodeMessage({ type: 'have_all' })]) };
}

/** Attaches a handler that closes over a fresh 1 MiB object (the swarm, in a client); returns a weak reference to it. */
function attachOwner(peer: PeerSession, pending: PeerEvent[]): WeakRef<{ buffer: Uint8Array }> {
  const swarm = { buffer: new Uint8Array(1 << 20) };
  peer.attach({
    onPeerEvents: () => swarm.buffer.fill(1),
    onPeerClosed: () => swarm.buffer.fill(2),
    onPeerDrain: () => swarm.buffer.fill(3),
  }, pending);
  return new WeakRef(swarm);
}

describe('PeerSession', () => {
  it('handles the pending handshake before bytes the stream held back', () => {
    const { conn, pending, stream } = connected();
    const seen: string[] = [];
    const handler: PeerSessionHandler = {
      onPeerEvents: (_p, events) => {
        for (const e of events) {
          seen.push(e.type === 'message' ? e.message.type : e.type);
          // As the swarm does: our availability goes first, on the handshake.
          if (e.type === 'handshake') conn.sendAvailability('none');
        }
      },
      onPeerClosed: () => undefined,
      onPeerDrain: () => undefined,
    };
    const peer = new PeerSession(runtime, stream, conn, REMOTE, false);
    peer.attach(handler, pending);
    assert.deepEqual(seen, ['handshake', 'have_all']);
    assert.equal(peer.closed, false);
  });

  it('closes the peer with the reason when handling its events throws, instead of throwing', () => {
    const { conn, pending, stream } = connected();
    let closedWith: string | undefined;
    const handler: PeerSessionHandler = {
      onPeerEvents: () => {
        throw new Error('broken invariant');
      },
      onPeerClosed: (_p, reason) => (closedWith = reason),
      onPeerDrain: () => undefined,
    };
    const peer = new PeerSession(runtime, stream, conn, REMOTE, false);
    assert.doesNotThrow(() => peer.attach(handler, pending));
    assert.equal(peer.closed, true);
    assert.match(closedWith ?? '', /internal error: broken invariant/);
    assert.equal(stream.destroyed, true);
  });
  it('lets go of the swarm once closed, though something still holds the session', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { conn, pending, stream } = connected();
    const peer = new PeerSession(runtime, stream, conn, REMOTE, false);
    const swarmRef = attachOwner(peer, pending);
    peer.close('done');
    // `peer` stays referenced (as a PEX list or the choker's optimistic pick may hold it).
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(swarmRef.deref(), undefined, 'a closed session keeps its swarm alive');
    assert.equal(peer.closed, true);
  });
  it('a graceful close ends the stream (what was written still leaves) and resets it only if the peer lingers', () => {
    const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
    const clockRuntime = {
      clock: { now: () => 0, setTimer: (ms: number, fn: () => void) => { const t = { at: ms, fn, cancelled: false }; timers.push(t); return { cancel: () => (t.cancelled = true) }; } },
      random: new SeededRandom(1),
    } as unknown as Runtime; // only the clock is used
    const make = (): { peer: PeerSession; stream: HoldingStream & { ended: boolean; fireClose(): void } } => {
      const { conn, pending } = connected();
      let closeHandler: (() => void) | undefined;
      const stream = Object.assign(new HoldingStream([]), { ended: false, fireClose: () => closeHandler?.() });
      stream.end = () => { stream.ended = true; };
      stream.onClose = (h: () => void) => { closeHandler = h; };
      const peer = new PeerSession(clockRuntime, stream, conn, REMOTE, false);
      peer.attach({ onPeerEvents: () => undefined, onPeerClosed: () => undefined, onPeerDrain: () => undefined }, pending);
      return { peer, stream };
    };
    // The peer closes its side in time: no reset, the linger timer is cancelled.
    const polite = make();
    polite.peer.close('shutting down', true);
    assert.equal(polite.stream.ended, true);
    assert.equal(polite.stream.destroyed, false);
    const linger = timers.find((t) => t.at === LINGER_MS);
    assert.ok(linger, 'a linger timer is set');
    polite.stream.fireClose();
    assert.equal(linger.cancelled, true);
    // A peer that never closes its side is reset after LINGER_MS.
    const stubborn = make();
    stubborn.peer.close('shutting down', true);
    const second = timers.filter((t) => t.at === LINGER_MS)[1];
    second.fn();
    assert.equal(stubborn.stream.destroyed, true);
    // Any other close resets at once.
    const other = make();
    other.peer.close('protocol violation');
    assert.equal(other.stream.ended, false);
    assert.equal(other.stream.destroyed, true);
  });
});
