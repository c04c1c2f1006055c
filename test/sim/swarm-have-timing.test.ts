/**
 * When a verified piece's `have` leaves (interest.ts `announcePiece`): at once to a peer that
 * lacks the piece and to the peer that sent it (a BEP 16 super-seeder waits for that have
 * before it shows the next piece); to a peer that has the piece it rides with our next write,
 * so it still arrives, without a packet of its own. Scripted peers on the simulator (constant
 * 10 ms one-way latency) record when each of Shoal's messages reaches them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import type { ByteStream } from '../../src/runtime/types.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { encodeHandshake, encodeMessage, makeReserved } from '../../src/wire/index.js';
import { makeFixture, simSwarm, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
const PIECE = 16 * 1024;
const HAVE_ID = 4, REQUEST_ID = 6;
let f: Fixture;
before(async () => (f = await makeFixture(4 * PIECE, PIECE)));
after(() => f.cleanup());

interface Seen {
  readonly at: number;
  readonly id: number;
  readonly payload: Buffer;
}

/**
 * A listening peer that answers the handshake with `pieces` as its bitfield, unchokes when it
 * `serves` any, answers requests for those from the fixture's payload (others wait for ever),
 * and records Shoal's messages.
 */
class ScriptedPeer {
  readonly seen: Seen[] = [];
  stream: ByteStream | undefined;
  private buf = Buffer.alloc(0);
  private shook = false;

  constructor(private readonly sim: Simulator, readonly host: SimHost, private readonly pieces: number[], private readonly serves: number[]) {}

  listen(): Promise<unknown> {
    return this.host.runtime.stream.listen({ host: this.host.address, port: PORT }, (s) => {
      this.stream = s;
      s.onData((d) => this.read(Buffer.from(d)));
    });
  }

  haves(piece: number): number[] {
    return this.seen.filter((m) => m.id === HAVE_ID && m.payload.readUInt32BE(0) === piece).map((m) => m.at);
  }

  send(bytes: Uint8Array): void {
    this.stream!.write(bytes);
  }

  private read(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.shook) {
      if (this.buf.length < 68) return;
      const infoHash = this.buf.subarray(28, 48);
      this.buf = this.buf.subarray(68);
      this.shook = true;
      const bits = new Uint8Array(1);
      for (const p of this.pieces) bits[0] |= 0x80 >> p;
      this.send(Buffer.concat([
        encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash, peerId: Buffer.from(`-XX0001-scripted${String(this.host.id).padStart(4, '0')}`) }),
        encodeMessage({ type: 'bitfield', bitfield: bits }),
        ...(this.serves.length > 0 ? [encodeMessage({ type: 'unchoke' })] : []),
      ]));
    }
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) return;
      if (len > 0) {
        const id = this.buf[4], payload = Buffer.from(this.buf.subarray(5, 4 + len));
        this.seen.push({ at: this.sim.now, id, payload });
        if (id === REQUEST_ID && this.serves.includes(payload.readUInt32BE(0))) {
          const index = payload.readUInt32BE(0), begin = payload.readUInt32BE(4), length = payload.readUInt32BE(8);
          const start = index * PIECE + begin;
          this.send(encodeMessage({ type: 'piece', index, begin, block: f.payload.subarray(start, start + length) }));
        }
      }
      this.buf = this.buf.subarray(4 + len);
    }
  }
}

describe('when a verified piece is announced', () => {
  it('sends the have at once to peers without the piece and to its sender, and with the next write to peers that have it', async () => {
    const sim = new Simulator({ seed: 5, latency: new ConstantLatency(10), yieldMode: 'microtasks' });
    const leecherHost = sim.createHost();
    // The sender has piece 1 too, but never answers for it: once piece 0 is in, we still want
    // something of it and have nothing new to ask, so no write of ours would carry the have.
    const sender = new ScriptedPeer(sim, sim.createHost(), [0, 1], [0]);
    const holder = new ScriptedPeer(sim, sim.createHost(), [0, 1], []);
    const lacker = new ScriptedPeer(sim, sim.createHost(), [], []);
    const peers = [sender, holder, lacker];
    await Promise.all([...peers.map((p) => p.listen()), sim.run({ until: 1 })]);
    let verifiedAt: number | undefined;
    const swarm = simSwarm(leecherHost, f, new MemoryStorage(f.torrent), {
      onEvent: (e) => {
        if (e.type === 'piece-verified' && e.piece === 0) verifiedAt = sim.now;
      },
    });
    await swarm.start();
    for (const p of peers) swarm.addPeer({ host: p.host.address, port: PORT });
    swarm.dial();
    for (let t = 100; verifiedAt === undefined && t <= 1_000; t += 100) await sim.run({ until: t });
    assert.ok(verifiedAt !== undefined, 'piece 0 came from the sender and verified');
    // Before the next one-second tick, whose housekeeping writes to every peer.
    await sim.run({ until: verifiedAt + 100 });
    assert.ok(sender.seen.some((m) => m.id === REQUEST_ID && m.payload.readUInt32BE(0) === 1), 'piece 1 was asked of the sender');
    // Over a 10 ms one-way path a have sent at once arrives 10 ms after the piece verified.
    assert.deepEqual(sender.haves(0), [verifiedAt + 10], 'the sender hears at once');
    assert.deepEqual(lacker.haves(0), [verifiedAt + 10], 'a peer without the piece hears at once');
    assert.deepEqual(holder.haves(0), [], 'a peer that has the piece gets no packet for it alone');
    assert.ok(holder.seen.some((m) => m.id === 2), 'the holder has piece 1 we want: we stay interested in it');

    // The holder's next message makes us write to it (a keep-alive is enough): the have rides along.
    const pokedAt = sim.now;
    holder.send(encodeMessage({ type: 'keep_alive' }));
    await sim.run({ until: pokedAt + 100 });
    assert.deepEqual(holder.haves(0), [pokedAt + 20], 'the have arrives with our next write');
    await swarm.stop();
  });
});
