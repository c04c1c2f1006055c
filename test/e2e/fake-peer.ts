/**
 * A scriptable misbehaving BitTorrent peer for tests (EXAMPLES practice 11): it answers the
 * handshake, claims every piece, unchokes, and then does what the script says.
 */
import net from 'node:net';
import { encodeHandshake, encodeMessage, makeReserved, MessageDecoder, type WireMessage } from '../../src/wire/index.js';

const BT_HEADER = Buffer.from('\x13BitTorrent protocol', 'latin1');

export type Misbehaviour =
  | 'corrupt-blocks' // answers requests with random bytes
  | 'oversized-message' // sends a length prefix far over any limit
  | 'out-of-range-have' // announces a piece index past the end
  | 'unrequested-block' // sends a block nobody asked for
  | 'request-missing-piece'; // asks for a piece we never announced

export interface FakePeer {
  readonly port: number;
  /** Connections it accepted. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFakePeer(opts: { host: string; infoHash: Uint8Array; pieceCount: number; misbehaviour: Misbehaviour }): Promise<FakePeer> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let handshaken = false;
    let pending = Buffer.alloc(0);
    const decoder = new MessageDecoder({ maxMessageLength: 1 << 20 });
    const send = (m: WireMessage) => sock.write(encodeMessage(m));
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      if (!handshaken) {
        pending = Buffer.concat([pending, chunk]);
        // Like a client without MSE: anything but a BT handshake (say, an MSE public key) is hung up on.
        if (pending.subarray(0, 20).some((b, i) => b !== BT_HEADER[i])) return void sock.destroy();
        if (pending.length < 68) return;
        handshaken = true;
        sock.write(encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: opts.infoHash, peerId: Buffer.from('-XX0001-fakefakefake') }));
        send({ type: 'have_all' });
        send({ type: 'unchoke' });
        send({ type: 'interested' });
        if (opts.misbehaviour === 'oversized-message') sock.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 7]));
        if (opts.misbehaviour === 'out-of-range-have') send({ type: 'have', index: opts.pieceCount + 5 });
        if (opts.misbehaviour === 'unrequested-block') send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384) });
        chunk = pending.subarray(68);
        if (chunk.length === 0) return;
      }
      decoder.push(chunk);
      for (let m = decoder.next(); m; m = decoder.next()) {
        // Once unchoked, ask for a piece the other side never announced.
        if (m.type === 'unchoke' && opts.misbehaviour === 'request-missing-piece') send({ type: 'request', index: 0, begin: 0, length: 16384 });
        if (m.type === 'request' && opts.misbehaviour === 'corrupt-blocks') {
          const junk = new Uint8Array(m.length);
          for (let i = 0; i < junk.length; i++) junk[i] = (i * 31 + m.index) & 0xff;
          send({ type: 'piece', index: m.index, begin: m.begin, block: junk });
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, opts.host, r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
