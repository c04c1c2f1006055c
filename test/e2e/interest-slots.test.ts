/**
 * Interest kept in step with what a peer can still give, and slots given back by peers that
 * want nothing (BEP 3; libtorrent does both):
 * - after a piece verifies, a leecher tells each peer whose pieces it now all has `not
 *   interested` (before, it stayed interested, and that peer kept an unchoke slot for a peer
 *   that requested nothing: `shoal sim swarm` found this idle upload);
 * - a peer that says `not interested` is choked at once, its slot free for the next one.
 * A raw TCP peer on loopback plays the other side and reads what Shoal sends.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import { encodeHandshake, encodeMessage, makeReserved } from '../../src/wire/index.js';
import { makeSeedFile } from '../helpers/seed-file.js';
import { until } from '../helpers/within.js';

const HOST = '127.0.9.1';
const PIECE = 32 * 1024;
let dir: string;
let torrent: Torrent;
let data: Uint8Array;
let runtime: NodeRuntime;

before(async () => {
  ({ dir, data, torrent } = await makeSeedFile('shoal-interest-', 2 * PIECE, PIECE));
  runtime = createNodeRuntime({ seed: 4 });
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw peer: sends our handshake and messages, and records the ids of Shoal's messages. */
class RawPeer {
  readonly sock: net.Socket;
  readonly ids: number[] = [];
  readonly requests: { index: number; begin: number; length: number }[] = [];
  private buf = Buffer.alloc(0);
  private shook = false;

  constructor(port: number, first: Uint8Array[]) {
    this.sock = net.connect({ host: HOST, port, localAddress: '127.0.9.2' });
    this.sock.on('error', () => undefined);
    this.sock.on('data', (d: Buffer) => this.read(d));
    this.sock.write(Buffer.concat([
      encodeHandshake({ reserved: makeReserved({ fast: true }), infoHash: torrent.infoHashV1!, peerId: Buffer.from('-XX0001-interest0001') }),
      ...first,
    ]));
  }

  private read(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.shook) {
      if (this.buf.length < 68) return;
      this.buf = this.buf.subarray(68);
      this.shook = true;
    }
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) return;
      if (len > 0) {
        const id = this.buf[4];
        this.ids.push(id);
        if (id === 6) this.requests.push({ index: this.buf.readUInt32BE(5), begin: this.buf.readUInt32BE(9), length: this.buf.readUInt32BE(13) });
      }
      this.buf = this.buf.subarray(4 + len);
    }
  }

  send(...m: Uint8Array[]): void {
    this.sock.write(Buffer.concat(m));
  }
}


const INTERESTED = 2, NOT_INTERESTED = 3, CHOKE = 0, UNCHOKE = 1;

describe('interest and slots', () => {
  it('a leecher says not interested once it has every piece a peer has', async () => {
    const session = await Session.create({ runtime, stateDir: join(dir, 'leech-state'), listen: { host: HOST, port: 0 } });
    try {
      await session.addTorrent({ torrent, downloadDir: join(dir, 'leech') });
      // The raw peer has piece 0 of 2 only.
      const peer = new RawPeer(session.listenAddress!.port, [encodeMessage({ type: 'bitfield', bitfield: Uint8Array.of(0x80) }), encodeMessage({ type: 'unchoke' })]);
      await until(() => peer.ids.includes(INTERESTED) && peer.requests.length > 0, 'interest and requests');
      const served = new Set<string>();
      await until(() => {
        for (const r of peer.requests) {
          const key = `${r.begin}`;
          if (r.index !== 0 || served.has(key)) continue;
          served.add(key);
          peer.send(encodeMessage({ type: 'piece', index: 0, begin: r.begin, block: data.subarray(r.begin, r.begin + r.length) }));
        }
        return peer.ids.includes(NOT_INTERESTED);
      }, 'not interested after piece 0 verified');
      assert.ok(peer.ids.lastIndexOf(NOT_INTERESTED) > peer.ids.indexOf(INTERESTED));
      assert.deepEqual(readFileSync(join(dir, 'leech', 'data.bin')).subarray(0, PIECE), Buffer.from(data.subarray(0, PIECE)));
      peer.sock.destroy();
    } finally {
      await session.close();
    }
  });

  it('a seed chokes a peer that says not interested', async () => {
    const session = await Session.create({ runtime, stateDir: join(dir, 'seed-state'), listen: { host: HOST, port: 0 } });
    try {
      await session.addTorrent({ torrent, downloadDir: join(dir, 'seed') });
      const peer = new RawPeer(session.listenAddress!.port, [encodeMessage({ type: 'have_none' }), encodeMessage({ type: 'interested' })]);
      await until(() => peer.ids.includes(UNCHOKE), 'the unchoke');
      // Past the swarm's first rechoke round (its first tick); the next is 10 s away: the choke must come at once.
      await new Promise((r) => setTimeout(r, 1_500));
      const unchokedAt = Date.now();
      peer.send(encodeMessage({ type: 'not_interested' }));
      await until(() => peer.ids.lastIndexOf(CHOKE) > peer.ids.indexOf(UNCHOKE), 'a choke after not interested', 2_000);
      assert.ok(Date.now() - unchokedAt < 2_000);
      peer.sock.destroy();
    } finally {
      await session.close();
    }
  });
});
