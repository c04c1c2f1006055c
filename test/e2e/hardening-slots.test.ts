/**
 * Connection slots held by idle peers (hostile review, 2026-12-06). A peer that completes the
 * handshake, says it is interested, and then only sends keep-alives is never dropped: it is not
 * silent (keep-alives reset `idleTimeoutMs`), never requests (so it is not a "silent peer" that
 * let requests time out), and never violates anything. `maxPeers` such connections lock every
 * other peer out of the torrent for as long as the attacker likes: `Swarm.acceptIncoming`
 * refuses newcomers once `peers.size >= maxPeers`.
 *
 * Measured against `shoal seed` over loopback: 200 connections from one address, each sending a
 * handshake, `interested` and a keep-alive a minute; the first 50 were accepted and held, and a
 * `shoal get` from another address found the seeder's slots full and downloaded nothing in 60 s.
 *
 * Both tests failed before src/swarm/peer-turnover.ts gave the swarm:
 * - a cap on established connections per IP per torrent (libtorrent refuses a second one from
 *   one IP unless `allow_multiple_connections_per_ip`), so one address cannot take every slot;
 * - at `maxPeers`, replacing the least useful peer (connected longest without sending or taking
 *   a block) with a newcomer instead of refusing it (libtorrent's `peer_turnover`, and its
 *   disconnecting of peers that are useless to each other), so many addresses cannot either.
 */
import { after, before, describe, it } from 'node:test';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { DEFAULT_MAX_PEERS_PER_IP } from '../../src/swarm/peer-turnover.js';
import { encodeHandshake, encodeMessage, makeReserved } from '../../src/wire/index.js';
import { makeSeedFile } from '../helpers/seed-file.js';
import { until } from '../helpers/within.js';

const SEEDER_HOST = '127.0.8.1';
const MAX_PEERS = 10;
let dir: string;
let torrent: Torrent;
let runtime: NodeRuntime;

before(async () => {
  ({ dir, torrent } = await makeSeedFile('shoal-slots-', 2 * 1024 * 1024, 64 * 1024));
  runtime = createNodeRuntime({ seed: 3 });
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});


/** A connection that handshakes, says `interested`, and then only keeps alive. */
function idlePeer(port: number, localAddress: string, n: number): net.Socket {
  const sock = net.connect({ host: SEEDER_HOST, port, localAddress });
  sock.on('error', () => undefined);
  sock.resume();
  const peerId = Buffer.from(`-XX0001-idle${String(n).padStart(8, '0')}`);
  sock.write(Buffer.concat([
    encodeHandshake({ reserved: makeReserved({ fast: true, extensionProtocol: true }), infoHash: torrent.infoHashV1!, peerId }),
    encodeMessage({ type: 'interested' }),
  ]));
  return sock;
}

async function holdSlots(addresses: (i: number) => string, name: string, held = MAX_PEERS): Promise<void> {
  const session = await Session.create({ runtime, stateDir: join(dir, `${name}-seed-state`), listen: { host: SEEDER_HOST, port: 0 } });
  const swarm: Swarm = await session.addTorrent({ torrent, downloadDir: join(dir, 'seed'), limits: { maxPeers: MAX_PEERS } });
  const port = session.listenAddress!.port;
  const idle: net.Socket[] = [];
  const keepAlive = setInterval(() => idle.forEach((s) => s.destroyed || s.write(Buffer.alloc(4))), 1000);
  const leecher = await Session.create({ runtime, stateDir: join(dir, `${name}-leech-state`), listen: { host: '127.0.8.200', port: 0 } });
  try {
    for (let i = 0; i < MAX_PEERS + 5; i++) idle.push(idlePeer(port, addresses(i), i));
    await until(() => swarm.peers.size === held, 'the idle peers to take the slots they can');
    let complete = false;
    const ls = await leecher.addTorrent({ torrent, downloadDir: join(dir, `${name}-leech`), onEvent: (e) => e.type === 'complete' && (complete = true) });
    ls.addPeer({ host: SEEDER_HOST, port });
    await until(() => complete, 'the honest download', 30_000);
  } finally {
    clearInterval(keepAlive);
    for (const s of idle) s.destroy();
    await leecher.close();
    await session.close();
  }
}

describe('connection slots held by idle peers', () => {
  it('one address holding every slot with idle, interested connections does not lock an honest leecher out', {
    timeout: 60_000,
  }, async () => {
    // maxPeersPerIp (4) stops them first: the other slots stay free.
    await holdSlots(() => '127.0.8.2', 'one-ip', DEFAULT_MAX_PEERS_PER_IP);
  });

  it('idle, interested connections from many addresses filling maxPeers do not lock an honest leecher out', {
    timeout: 60_000,
  }, async () => {
    await holdSlots((i) => `127.0.8.${10 + i}`, 'many-ips');
  });
});
