/**
 * Attacks on a Shoal seeder over loopback (issue 12, items 1, 2 and 4), each bounded in
 * connections, bytes and time:
 * - silent connections and half-closed ones cannot pile up: the session holds at most
 *   `maxPendingHandshakes`, refuses the rest at accept, and closes them at the deadline;
 * - a peer that requests and never reads holds at most `maxQueuedUploadBytes` of the
 *   seeder's memory, and is dropped once it floods past `maxRefusedRequests`;
 * - a peer that violates the protocol and reconnects from new ports is refused at accept
 *   after `maxViolations`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import type { Swarm, SwarmEvent } from '../../src/swarm/swarm.js';
import { encodeHandshake, encodeMessage, makeReserved, MessageDecoder, type WireMessage } from '../../src/wire/index.js';
import { makeSeedFile } from '../helpers/seed-file.js';
import { until } from '../helpers/within.js';

const SEEDER_HOST = '127.0.2.1';
const BLOCK = 16 * 1024;
let dir: string;
let torrent: Torrent;
let runtime: NodeRuntime;

before(async () => {
  ({ dir, torrent } = await makeSeedFile('shoal-hardening-', 8 * 1024 * 1024, 64 * 1024));
  runtime = createNodeRuntime({ seed: 2 });
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

async function seed(name: string, options: Partial<Parameters<typeof Session.create>[0]> = {}): Promise<{ session: Session; swarm: Swarm; port: number; events: SwarmEvent[] }> {
  const session = await Session.create({ runtime, stateDir: join(dir, `${name}-state`), listen: { host: SEEDER_HOST, port: 0 }, ...options });
  const events: SwarmEvent[] = [];
  const swarm = await session.addTorrent({ torrent, downloadDir: join(dir, 'seed'), onEvent: (e) => events.push(e) });
  return { session, swarm, port: session.listenAddress!.port, events };
}


interface Raw {
  sock: net.Socket;
  received: number;
  closed: boolean;
  messages: WireMessage[];
}

/** A raw TCP client from `localAddress`; parses messages after the 68-byte handshake. */
function rawConnect(port: number, localAddress: string): Raw {
  const sock = net.connect({ host: SEEDER_HOST, port, localAddress, allowHalfOpen: true });
  const r: Raw = { sock, received: 0, closed: false, messages: [] };
  const decoder = new MessageDecoder({ maxMessageLength: 1 << 20 });
  sock.on('error', () => undefined);
  sock.on('data', (b: Buffer) => {
    const skip = Math.max(0, Math.min(b.length, 68 - r.received));
    r.received += b.length;
    if (skip < b.length) decoder.push(b.subarray(skip));
    for (let m = decoder.next(); m; m = decoder.next()) r.messages.push(m);
  });
  // Our side of the test keeps half-open sockets: the seeder's FIN ('end') is its close.
  sock.on('end', () => (r.closed = true));
  sock.on('close', () => (r.closed = true));
  return r;
}

const ourHandshake = () => encodeHandshake({ reserved: makeReserved({ fast: true, extensionProtocol: true }), infoHash: torrent.infoHashV1!, peerId: Buffer.from('-XX0001-attackattack') });

describe('file-descriptor exhaustion', () => {
  it('holds at most maxPendingHandshakes silent connections, refuses the rest at accept and closes the held ones at the deadline', async () => {
    const s = await seed('silent', { incoming: { maxPendingHandshakes: 16, maxPendingPerIp: 4, handshakeTimeoutMs: 1500 } });
    const raws: Raw[] = [];
    try {
      // 200 silent connections from 50 addresses (4 each, the per-IP limit).
      for (let i = 0; i < 200; i++) raws.push(rawConnect(s.port, `127.0.3.${1 + (i % 50)}`));
      await until(() => raws.filter((r) => r.closed).length >= 200 - 16, 'the refusals');
      assert.ok(s.session.incoming.pending <= 16, `held ${s.session.incoming.pending}`);
      const refused = s.session.incoming.refused;
      assert.equal(refused.pending_full + refused.pending_per_ip, 200 - s.session.incoming.pending);
      await until(() => raws.every((r) => r.closed), 'the handshake deadline');
      assert.equal(s.session.incoming.pending, 0);
      assert.ok(raws.every((r) => r.received === 0), 'none was answered');
      // The seeder still takes an honest peer.
      const leecher = await Session.create({ runtime, stateDir: join(dir, 'silent-leech-state') });
      let complete = false;
      const ls = await leecher.addTorrent({ torrent, downloadDir: join(dir, 'silent-leech'), onEvent: (e) => e.type === 'complete' && (complete = true) });
      ls.addPeer({ host: SEEDER_HOST, port: s.port });
      await until(() => complete, 'the honest download', 30_000);
      await leecher.close();
    } finally {
      for (const r of raws) r.sock.destroy();
      await s.session.close();
    }
  });

  it('closes a connection whose peer half-closes before its handshake (no CLOSE_WAIT)', async () => {
    const s = await seed('fin', { incoming: { handshakeTimeoutMs: 60_000 } });
    const raws: Raw[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const r = rawConnect(s.port, `127.0.4.${1 + (i % 5)}`);
        r.sock.on('connect', () => r.sock.end());
        raws.push(r);
      }
      // Long before the 60 s handshake deadline.
      await until(() => raws.every((r) => r.closed), 'our side to close the half-closed connections', 10_000);
      await until(() => s.session.incoming.pending === 0, 'the pending count to drop');
    } finally {
      for (const r of raws) r.sock.destroy();
      await s.session.close();
    }
  });
});

describe('upload backpressure', () => {
  it('a peer that requests without reading holds at most maxQueuedUploadBytes, and is dropped for flooding', async (t) => {
    const budget = 512 * 1024;
    const s = await seed('greedy', { maxQueuedUploadBytes: budget });
    const r = rawConnect(s.port, '127.0.5.1');
    let maxQueued = 0, sent = 0;
    const sample = setInterval(() => {
      for (const p of s.swarm.peers.values()) maxQueued = Math.max(maxQueued, p.queuedUploadBytes);
    }, 5);
    try {
      r.sock.write(Buffer.concat([ourHandshake(), encodeMessage({ type: 'interested' })]));
      await until(() => r.messages.some((m) => m.type === 'unchoke'), 'the unchoke');
      r.sock.pause(); // never reads again: the seeder's socket stops draining
      const blocks = torrent.length / BLOCK;
      // 3,000 distinct requests (~47 MiB) in batches, as a peer would refill its queue.
      for (let batch = 0; batch < 30 && !r.closed; batch++) {
        const out: Uint8Array[] = [];
        for (let k = 0; k < 100; k++, sent++) {
          const b = sent % blocks;
          out.push(encodeMessage({ type: 'request', index: Math.floor(b / 4), begin: (b % 4) * BLOCK, length: BLOCK }));
        }
        r.sock.write(Buffer.concat(out));
        await new Promise((res) => setTimeout(res, 30));
      }
      await until(() => s.swarm.peers.size === 0, 'the flooding peer to be dropped');
      const uploaded = s.swarm.stats().uploaded;
      t.diagnostic(`requested ${sent * BLOCK} bytes, handed to the socket ${uploaded}, queued at most ${maxQueued}`);
      // The kernel's socket buffers take a few MiB; the rest of the 47 MiB asked for never left the disk.
      assert.ok(uploaded < 12 * 1024 * 1024, `handed to the socket: ${uploaded} bytes of ${sent * BLOCK} requested`);
      // One block past the budget at most, plus message headers (13 bytes a block).
      assert.ok(maxQueued <= budget + BLOCK + 1024, `queued for the peer at most ${maxQueued} bytes (budget ${budget})`);
      const closed = s.events.find((e) => e.type === 'peer-disconnected');
      assert.match(closed?.type === 'peer-disconnected' ? closed.reason : '', /protocol violation: .*requests refused/);
    } finally {
      clearInterval(sample);
      r.sock.destroy();
      await s.session.close();
    }
  });
});

describe('bans that stick', () => {
  it('refuses at accept an IP that violates and reconnects from new ports, after maxViolations', async () => {
    const s = await seed('violator', { bans: { maxViolations: 5, violationWindowMs: 60_000 } });
    let answered = 0;
    try {
      for (let i = 0; i < 50; i++) {
        const r = rawConnect(s.port, '127.0.6.1');
        r.sock.write(ourHandshake());
        await until(() => r.received >= 68 || r.closed, 'an answer or a close');
        if (r.received >= 68) {
          answered++;
          r.sock.write(encodeMessage({ type: 'have', index: torrent.pieceCount + 3 })); // out of range: a violation
          await until(() => r.closed, 'the close for the violation');
        }
        r.sock.destroy();
      }
      assert.equal(answered, 5, 'five connections were served, each closed for its violation');
      assert.equal(s.session.incoming.refused.banned, 45, 'the other 45 were refused at accept');
      assert.equal(s.session.bans.size, 1);
      const reasons = s.events.filter((e) => e.type === 'peer-banned');
      assert.equal(reasons.length, 1);
    } finally {
      await s.session.close();
    }
  });
});
