/**
 * Encrypted swarms on the simulator: the same Swarm, PeerDialer and IncomingStream code the
 * CLI runs, over virtual time with fixed seeds. MSE with RC4 carries a whole torrent; `prefer`
 * falls back to plaintext against a peer without MSE and remembers it; `require` and the
 * plaintext policy refuse what they must.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { PeerDialer } from '../../src/swarm/peer-dialer.js';
import { Swarm } from '../../src/swarm/swarm.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { EncryptedStream, IncomingStream, encryptionOf, req2Hash, type EncryptionPolicy } from '../../src/transport/mse/index.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage as seededFixtureStorage, type Fixture } from './swarm-fixture.js';

const SIZE = 1024 * 1024 + 777;
let fixture: Fixture;
let torrent: Torrent;

before(async () => {
  fixture = await makeFixture(SIZE, 64 * 1024);
  ({ torrent } = fixture);
});
after(() => fixture.cleanup());

const seededStorage = (): Promise<MemoryStorage> => seededFixtureStorage(fixture);

function swarmOn(host: SimHost, storage: MemoryStorage, dialer: PeerDialer | undefined, onComplete?: () => void): Swarm {
  const rt = host.runtime;
  return new Swarm({
    runtime: rt, peerId: generatePeerId(rt.random), torrent, dialer,
    openStorage: async () => ({ storage, have: storage.bitfield() }),
    onEvent: (e) => e.type === 'complete' && onComplete?.(),
  });
}

/**
 * A seeder whose listener speaks `seedPolicy` (`none`: no MSE at all, like an old client that
 * hangs up on anything but a BT handshake) and a leecher dialling with `dialPolicy`, dialled twice.
 */
async function run(seedPolicy: EncryptionPolicy | 'none', dialPolicy: EncryptionPolicy, seed = 7) {
  const sim = new Simulator({ seed, yieldMode: 'every-event' });
  const a = sim.createHost({ uploadBps: 1e8, downloadBps: 1e8 });
  const b = sim.createHost({ uploadBps: 1e8, downloadBps: 1e8 });
  const leechStorage = new MemoryStorage(torrent);
  let doneAt = -1;
  // The streams as the download completes (two seeds then part).
  let seederStream: unknown;
  let leecherStream: unknown;
  const seeder = swarmOn(a, await seededStorage(), undefined);
  const dialer = new PeerDialer(b.runtime, { encryption: { policy: dialPolicy } });
  const leecher = swarmOn(b, leechStorage, dialer, () => {
    doneAt = sim.now;
    seederStream = [...seeder.peers.values()][0]?.stream;
    leecherStream = [...leecher.peers.values()][0]?.stream;
  });
  const seederId = generatePeerId(a.runtime.random);
  const listening = a.runtime.stream.listen({ host: a.address, port: 6881 }, (raw) => {
    const stream = seedPolicy === 'none' ? raw : new IncomingStream(raw, {
      clock: a.runtime.clock, random: a.runtime.random, encryption: { policy: seedPolicy },
      findSkey: (r) => seeder.handshakeHashes.find((h) => Buffer.compare(r, req2Hash(h)) === 0),
    });
    routeIncoming(a.runtime, seederId, stream, () => seeder);
  });
  void (async () => {
    await listening;
    await seeder.start();
    await leecher.start();
    leecher.addPeer({ host: a.address, port: 6881 });
  })();
  await sim.run({ until: 30_000 });
  const result = { doneAt, complete: leechStorage.bitfield().complete, dialer, seederStream, leecherStream, remembered: dialer.remembered({ host: a.address, port: 6881 }) };
  await leecher.stop();
  await seeder.stop();
  (await listening).close();
  return result;
}

describe('encrypted swarms on the simulator', () => {
  it('require on both sides: the torrent arrives over MSE with RC4 both ways', async () => {
    const r = await run('require', 'require');
    assert.ok(r.doneAt > 0 && r.complete, 'the download completed with verified pieces');
    assert.ok(r.leecherStream instanceof EncryptedStream && r.leecherStream.method === 'rc4');
    assert.ok(r.seederStream instanceof IncomingStream && r.seederStream.method === 'rc4');
    assert.equal(r.remembered, 'encrypted');
    assert.equal(encryptionOf(r.leecherStream as object), 'rc4', 'what the peer list shows as E');
  });

  it('prefer against prefer: MSE, and the receiver picks RC4', async () => {
    const r = await run('prefer', 'prefer');
    assert.ok(r.complete);
    assert.ok(r.seederStream instanceof IncomingStream && r.seederStream.method === 'rc4');
    assert.equal(r.dialer.fallbacks, 0);
  });

  it('prefer against a peer without MSE: falls back to plaintext at once, completes, and remembers', async () => {
    const r = await run('none', 'prefer');
    assert.ok(r.complete, 'completed over plaintext');
    assert.equal(r.dialer.fallbacks, 1);
    assert.equal(r.remembered, 'plaintext');
    assert.ok(!(r.leecherStream instanceof EncryptedStream));
    assert.equal(encryptionOf(r.leecherStream as object), undefined, 'no E or e in the peer list');
  });

  it('require against a peer without MSE: no fallback, nothing downloaded', async () => {
    const r = await run('none', 'require');
    assert.equal(r.complete, false);
    assert.equal(r.dialer.fallbacks, 0);
    assert.equal(r.remembered, undefined);
  });

  it('a seeder that requires encryption refuses a plaintext dialler', async () => {
    const r = await run('require', 'plaintext');
    assert.equal(r.complete, false);
    assert.equal(r.doneAt, -1);
  });

  it('a seeder with encryption off refuses an MSE dialler that requires it', async () => {
    const r = await run('plaintext', 'require');
    assert.equal(r.complete, false);
    assert.equal(r.remembered, undefined);
  });
});

describe('PeerDialer memory', () => {
  it('remembers at most maxRemembered peers, forgetting the oldest', async () => {
    const sim = new Simulator({ seed: 9, yieldMode: 'every-event' });
    const client = sim.createHost();
    const servers = [sim.createHost(), sim.createHost(), sim.createHost()];
    const dialer = new PeerDialer(client.runtime, { encryption: { policy: 'prefer' }, maxRemembered: 2 });
    const hs = new Uint8Array(68);
    const run = (async () => {
      // Each peer hangs up on its first connection (our MSE key, as a client without MSE would)
      // and keeps the second (the plaintext redial).
      for (const s of servers) {
        let connections = 0;
        await s.runtime.stream.listen({ host: s.address, port: 6881 }, (raw) => {
          const first = connections++ === 0;
          raw.onData(() => first && raw.destroy());
        });
      }
      for (const s of servers) await dialer.dial({ host: s.address, port: 6881 }, new Uint8Array(20), () => hs);
    })();
    await sim.run({ until: 60_000 });
    await run;
    assert.equal(dialer.fallbacks, 3);
    assert.equal(dialer.remembered({ host: servers[0].address, port: 6881 }), undefined, 'the oldest was forgotten');
    assert.equal(dialer.remembered({ host: servers[1].address, port: 6881 }), 'plaintext');
    assert.equal(dialer.remembered({ host: servers[2].address, port: 6881 }), 'plaintext');
  });
});
