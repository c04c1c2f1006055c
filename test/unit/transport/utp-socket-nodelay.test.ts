/**
 * Writes into an idle uTP connection go out at once (as TCP_NODELAY sends a write): the first
 * write after the connection went quiet is its own packet, and what is written behind it in
 * the same turn follows together. Transmission 3.00 (libutp) does not read the bytes that
 * share a packet with the end of the BitTorrent handshake until more data arrives, so a
 * handshake joined with the bitfield stalled it for a minute (docs/libtorrent-compat.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ST_DATA, ST_STATE, ST_SYN } from '../../../src/transport/utp/packet.js';
import type { UtpStream } from '../../../src/transport/utp/stream.js';
import { makeSocket } from './utp-socket-fakes.js';

const PEER = { host: '10.0.0.2', port: 6881 };

function accepted() {
  const { endpoint, socket } = makeSocket();
  let stream: UtpStream | undefined;
  socket.listen((s) => (stream = s));
  endpoint.receive(PEER, { type: ST_SYN, connectionId: 500, seqNr: 20 });
  const state = endpoint.ofType(ST_STATE)[0].p;
  endpoint.sent.length = 0;
  return { endpoint, stream: stream!, ourSeq: state.seqNr };
}

const dataSizes = (sent: { p: { type: number; payload: Uint8Array } }[]): number[] => sent.filter((s) => s.p.type === ST_DATA).map((s) => s.p.payload.length);

describe('uTP socket: writes into an idle connection', () => {
  it('sends a write into an idle connection at once, before the turn ends', () => {
    const { endpoint, stream } = accepted();
    stream.write(new Uint8Array(68));
    assert.deepEqual(dataSizes(endpoint.sent), [68]);
  });

  it('holds writes behind a packet in flight until the turn ends, then sends them together', () => {
    const { endpoint, stream } = accepted();
    stream.write(new Uint8Array(68));
    stream.write(new Uint8Array(5));
    stream.write(new Uint8Array(150));
    assert.deepEqual(dataSizes(endpoint.sent), [68]);
    endpoint.endBurst();
    assert.deepEqual(dataSizes(endpoint.sent), [68, 155]);
  });

  it('after the ack empties the flight, the next write goes at once again', () => {
    const { endpoint, stream, ourSeq } = accepted();
    stream.write(new Uint8Array(68));
    endpoint.receive(PEER, { type: ST_STATE, connectionId: 501, seqNr: 21, ackNr: ourSeq });
    endpoint.endBurst();
    stream.write(new Uint8Array(9));
    assert.deepEqual(dataSizes(endpoint.sent), [68, 9]);
  });

  it('writev into an idle connection sends its first chunk (the handshake) in a packet of its own', () => {
    const { endpoint, stream } = accepted();
    stream.writev([new Uint8Array(68), new Uint8Array(5), new Uint8Array(150)]);
    endpoint.endBurst();
    assert.deepEqual(dataSizes(endpoint.sent), [68, 155]);
  });
});
