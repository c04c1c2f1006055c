/**
 * The uTP socket's ACK batching (BEP 29 lets a receiver ack several packets at once): one ACK
 * per burst of datagrams the endpoint delivers in one turn, as libtorrent acks once its socket
 * reads would block, with `ackEveryPackets` as a cap; selective ACKs stay exact; a burst's
 * payloads reach the stream as one chunk. Driven by hand: a fake endpoint and clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UtpSocket, type UtpSocketOptions } from '../../../src/transport/utp/socket.js';
import { decodePacket, encodePacket, ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, type UtpPacket } from '../../../src/transport/utp/packet.js';
import type { UtpStream } from '../../../src/transport/utp/stream.js';
import { SeededRandom } from '../../../src/runtime/random.js';
import type { Address, Clock, DatagramHandler, TimerHandle, UdpEndpoint } from '../../../src/runtime/types.js';

const PEER: Address = { host: '10.0.0.2', port: 6881 };
const PEER_ID = 7000; // the peer's SYN id: we receive on 7001, send on 7000
const PEER_SEQ = 300; // the peer's SYN seq_nr; its DATA starts at 301

class FakeClock implements Clock {
  nowMs = 1000;
  readonly timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return this.nowMs;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = { ms, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }
}

class FakeEndpoint implements UdpEndpoint {
  readonly address: Address = { host: '10.0.0.1', port: 6881 };
  readonly sent: UtpPacket[] = [];
  handler: DatagramHandler | undefined;
  readonly deferred: (() => void)[] = [];
  readonly afterReads?: (fn: () => void) => void;
  /** `tellsBursts` false: no `afterReads`, like the simulator's endpoints. */
  constructor(tellsBursts = true) {
    if (tellsBursts) this.afterReads = (fn) => void this.deferred.push(fn);
  }
  send(data: Uint8Array): void {
    this.sent.push(decodePacket(data));
  }
  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }
  close(): void {}
  /** Runs what was deferred until the end of the burst. */
  endBurst(): void {
    for (const fn of this.deferred.splice(0)) fn();
  }
}

function setup(endpoint: FakeEndpoint, options: Partial<UtpSocketOptions> = {}) {
  const clock = new FakeClock();
  const socket = new UtpSocket({ clock, random: new SeededRandom(1) }, endpoint, options);
  let stream: UtpStream | undefined;
  const chunks: Uint8Array[] = [];
  const closes: (Error | undefined)[] = [];
  socket.listen((s) => {
    stream = s;
    s.onData((d) => chunks.push(d));
    s.onEnd(() => s.end());
    s.onClose((e) => closes.push(e));
  });
  const datagram = (p: Partial<UtpPacket>): void => {
    const packet: UtpPacket = { type: ST_DATA, connectionId: PEER_ID + 1, timestamp: 5, timestampDiff: 0, windowSize: 1 << 20, seqNr: 0, ackNr: 0, payload: new Uint8Array(0), ...p };
    endpoint.handler!(encodePacket(packet), PEER);
  };
  datagram({ type: ST_SYN, connectionId: PEER_ID, seqNr: PEER_SEQ });
  assert.ok(stream, 'the SYN was accepted');
  const synAck = endpoint.sent.shift()!;
  assert.equal(synAck.type, ST_STATE);
  /** DATA packet number i (1-based) of the peer, carrying i bytes of value i. */
  const data = (i: number): void => datagram({ seqNr: PEER_SEQ + i, ackNr: (synAck.seqNr - 1) & 0xffff, payload: new Uint8Array(i).fill(i) });
  return { clock, socket, chunks, closes, synAck, datagram, data, acks: () => endpoint.sent.filter((p) => p.type === ST_STATE) };
}

describe('uTP socket ACKs', () => {
  it('acks a burst of 20 DATA packets once, after the burst, acking the last', () => {
    const endpoint = new FakeEndpoint();
    const { data, acks, clock } = setup(endpoint);
    for (let i = 1; i <= 20; i++) data(i);
    assert.equal(acks().length, 0, 'no ACK while the burst is being read');
    endpoint.endBurst();
    assert.equal(acks().length, 1);
    assert.equal(acks()[0].ackNr, PEER_SEQ + 20);
    assert.equal(acks()[0].selectiveAck, undefined);
    assert.equal(clock.timers.filter((t) => t.ms === 0).length, 0, 'no 0 ms timer where the endpoint tells the end of a burst');
  });

  it('acks at once after ackEveryPackets packets of one burst, then once more at its end', () => {
    const endpoint = new FakeEndpoint();
    const { data, acks } = setup(endpoint, { ackEveryPackets: 32 });
    for (let i = 1; i <= 40; i++) data(i);
    assert.deepEqual(acks().map((a) => a.ackNr), [PEER_SEQ + 32]);
    endpoint.endBurst();
    assert.deepEqual(acks().map((a) => a.ackNr), [PEER_SEQ + 32, PEER_SEQ + 40]);
  });

  it('keeps the selective ACK exact when a burst has a hole', () => {
    const endpoint = new FakeEndpoint();
    const { data, acks } = setup(endpoint);
    for (const i of [1, 2, 3, 5, 6, 9]) data(i);
    endpoint.endBurst();
    const [ack] = acks();
    assert.equal(ack.ackNr, PEER_SEQ + 3);
    // Bit 0 is ack_nr + 2 (BEP 29): packets 5, 6 and 9 are bits 0, 1 and 4.
    assert.deepEqual([...ack.selectiveAck!], [0b10011, 0, 0, 0]);
    data(4);
    endpoint.endBurst();
    assert.equal(acks()[1].ackNr, PEER_SEQ + 6);
    assert.deepEqual([...acks()[1].selectiveAck!], [0b10, 0, 0, 0]); // packet 9 is ack_nr + 3
  });

  it('hands a burst of in-order payloads to the stream as one chunk', () => {
    const endpoint = new FakeEndpoint();
    const { data, chunks } = setup(endpoint);
    for (let i = 1; i <= 5; i++) data(i);
    endpoint.endBurst();
    assert.equal(chunks.length, 1);
    assert.deepEqual([...chunks[0]], [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5]);
  });

  it('falls back to a 0 ms timer where the endpoint cannot tell the end of a burst', () => {
    const endpoint = new FakeEndpoint(false);
    const { data, acks, clock } = setup(endpoint);
    for (let i = 1; i <= 3; i++) data(i);
    assert.equal(acks().length, 0);
    const timer = clock.timers.find((t) => t.ms === 0 && !t.cancelled);
    assert.ok(timer, 'a 0 ms flush timer');
    timer.fn();
    assert.deepEqual(acks().map((a) => a.ackNr), [PEER_SEQ + 3]);
  });

  it('re-acks a re-sent FIN for finLingerMs after closing by FIN, then answers with a RESET', () => {
    const endpoint = new FakeEndpoint();
    const { clock, socket, closes, synAck, datagram, acks } = setup(endpoint, { finLingerMs: 10_000 });
    const ourSeq = synAck.seqNr; // the acceptor's first packet reuses the STATE's seq_nr
    const fin = (): void => datagram({ type: ST_FIN, seqNr: PEER_SEQ + 1, ackNr: ourSeq });
    datagram({ type: ST_FIN, seqNr: PEER_SEQ + 1, ackNr: (ourSeq - 1) & 0xffff });
    endpoint.endBurst(); // acks the FIN; our stream ends and queues its own FIN
    endpoint.endBurst();
    assert.ok(endpoint.sent.some((p) => p.type === ST_FIN && p.seqNr === ourSeq));
    datagram({ type: ST_STATE, seqNr: PEER_SEQ + 2, ackNr: ourSeq }); // our FIN acked: closed by FIN
    endpoint.endBurst();
    assert.deepEqual(closes, [undefined]);
    assert.equal(socket.connectionCount, 0, 'a lingering connection does not count');
    const before = acks().length;
    fin(); // our last ACK was lost: the peer re-sends its FIN
    assert.equal(acks().length, before + 1);
    assert.equal(acks().at(-1)!.ackNr, PEER_SEQ + 1);
    assert.equal(endpoint.sent.filter((p) => p.type === ST_RESET).length, 0);
    const linger = clock.timers.find((t) => t.ms === 10_000 && !t.cancelled);
    assert.ok(linger, 'a 10 s linger timer');
    linger.fn();
    fin();
    assert.equal(endpoint.sent.at(-1)!.type, ST_RESET, 'after the linger, the ids are forgotten');
  });
});
