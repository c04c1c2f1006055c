/**
 * BEP 55 through whole swarms on the simulator (virtual time, fixed seed): a seeder behind a
 * stateful firewall (datagrams only from endpoints it sent to, no incoming TCP: what a NAT's
 * conntrack does) is reached by a leecher through a relay both are connected to. The relay
 * PEXes the seeder flagged uTP + ut_holepunch; the leecher's direct dial fails, it asks the
 * relay for a rendezvous, both sides send uTP SYNs and the leecher downloads everything from
 * the seeder. Without ut_holepunch the same leecher gets nothing.
 *
 * The seeder dials nobody but the relay (a scripted dialer): were both firewalled sides to
 * dial each other from PEX at about the same time, their SYNs would cross and open both
 * filters without any rendezvous; BEP 55 is for the peer that would not dial.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HolepunchEvent } from '../../src/nat/holepunch.js';
import type { Address, ByteStream, Runtime, Streams, Udp, UdpEndpoint } from '../../src/runtime/types.js';
import { Simulator } from '../../src/sim/index.js';
import { ConstantLatency } from '../../src/sim/latency.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { HOLEPUNCH_EXTENSIONS } from '../../src/swarm/holepunch.js';
import { PeerDialer } from '../../src/swarm/peer-dialer.js';
import { Swarm } from '../../src/swarm/swarm.js';
import { withUtp } from '../../src/transport/dual-streams.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
let fixture: Fixture;
before(async () => {
  fixture = await makeFixture(512 * 1024, 32 * 1024);
});
after(() => fixture.cleanup());

const key = (a: Address): string => `${a.host}:${a.port}`;

/** UDP that drops datagrams from endpoints we never sent to (a NAT's filtering), and TCP that takes nobody in. */
function firewalled(rt: Runtime): Runtime {
  const udp: Udp = {
    async bind(address, options) {
      const inner = await rt.udp.bind(address, options);
      const solicited = new Set<string>();
      const ep: UdpEndpoint = {
        address: inner.address,
        send: (data, to) => {
          solicited.add(key(to));
          inner.send(data, to);
        },
        onMessage: (h) => inner.onMessage((data, from) => {
          if (solicited.has(key(from))) h(data, from);
        }),
        close: () => inner.close(),
      };
      return ep;
    },
  };
  const stream: Streams = {
    listen: (address, _onConnection) => rt.stream.listen(address, (s: ByteStream) => s.destroy()),
    connect: (address, options) => rt.stream.connect(address, options),
  };
  return { ...rt, udp, stream };
}

interface Peer {
  swarm: Swarm;
  address: Address;
  events: HolepunchEvent[];
}

/** Dials only `allowed` hosts (the seeder's: only the relay). */
class DialOnly extends PeerDialer {
  constructor(rt: Runtime, private readonly allowed: string) {
    super(rt, { encryption: { policy: 'plaintext' } });
  }
  override dial(...args: Parameters<PeerDialer['dial']>): ReturnType<PeerDialer['dial']> {
    if (args[0].host !== this.allowed) return Promise.reject(new Error('this peer does not dial that address'));
    return super.dial(...args);
  }
}

async function peer(sim: Simulator, o: { seed: boolean; firewall: boolean; holepunch: boolean; dialOnly?: string; slowDownload?: boolean }): Promise<Peer> {
  // A relay that downloads at 250 bytes/s completes no 32 KiB piece in the test's minute: it has no data to pass on.
  const host = sim.createHost(o.slowDownload ? { downloadBps: 2000 } : {});
  const base = o.firewall ? firewalled(host.runtime) : host.runtime;
  const dual = withUtp(base);
  const rt = dual.runtime;
  const storage = o.seed ? await seededStorage(fixture) : new MemoryStorage(fixture.torrent);
  const events: HolepunchEvent[] = [];
  const address = { host: host.address, port: PORT };
  const id = generatePeerId(rt.random); // one peer id for dialled and accepted connections, as a session has
  const swarm = new Swarm({
    runtime: rt,
    peerId: id,
    torrent: fixture.torrent,
    listenPort: PORT,
    listenAddress: address,
    openStorage: async () => ({ storage, have: storage.bitfield() }),
    holepunch: o.holepunch ? {} : false,
    dialer: o.dialOnly ? new DialOnly(rt, o.dialOnly) : undefined,
    punchDialer: o.holepunch ? new PeerDialer({ ...rt, stream: dual.utp }, { encryption: { policy: 'plaintext' }, connectTimeoutMs: 15_000 }) : undefined,
    onEvent: (e) => {
      if (e.type === 'holepunch') events.push(e.event);
    },
  });
  void rt.stream.listen(address, (s) => routeIncoming(rt, id, s, () => swarm, o.holepunch ? HOLEPUNCH_EXTENSIONS : undefined)).then(() => swarm.start());
  return { swarm, address, events };
}

async function scenario(leecherPunches: boolean): Promise<{ leecher: Peer; relay: Peer; seeder: Peer }> {
  const sim = new Simulator({ seed: 55, latency: new ConstantLatency(20) });
  const relay = await peer(sim, { seed: false, firewall: false, holepunch: true, slowDownload: true });
  const seeder = await peer(sim, { seed: true, firewall: true, holepunch: true, dialOnly: relay.address.host });
  const leecher = await peer(sim, { seed: false, firewall: true, holepunch: leecherPunches });
  await sim.runFor(100);
  seeder.swarm.addPeer(relay.address);
  leecher.swarm.addPeer(relay.address);
  const end = sim.now + 60_000;
  while (sim.now < end && !leecher.swarm.stats().complete) await sim.runFor(500);
  return { leecher, relay, seeder };
}

describe('hole punching through a relay on the simulator (BEP 55)', () => {
  it('downloads from a firewalled seeder through a punched uTP connection', async () => {
    const { leecher, relay, seeder } = await scenario(true);
    assert.equal(leecher.swarm.stats().complete, true);
    assert.equal(leecher.swarm.stats().downloaded, fixture.torrent.length, 'every byte came from the seeder (the relay has none)');
    assert.ok(leecher.events.some((e) => e.type === 'punch-succeeded' && e.target.host === seeder.address.host));
    // Both sides dialled; the peer-id rule left one connection between them, the same on both sides.
    assert.equal([...leecher.swarm.peers.values()].filter((p) => p.address.host === seeder.address.host).length, 1);
    assert.equal([...seeder.swarm.peers.values()].filter((p) => p.address.host === leecher.address.host).length, 1);
    assert.ok(relay.events.some((e) => e.type === 'relayed' && e.target.host === seeder.address.host), 'the relay forwarded the rendezvous');
    assert.ok(leecher.events.some((e) => e.type === 'punching' && e.role === 'initiator'));
    assert.ok(seeder.events.some((e) => e.type === 'punching' && e.role === 'target'));
    for (const p of [leecher, relay, seeder]) await p.swarm.stop();
  });

  it('gets nothing from the firewalled seeder without ut_holepunch', async () => {
    const { leecher, relay, seeder } = await scenario(false);
    assert.equal(leecher.swarm.stats().have, 0);
    assert.equal([...relay.events, ...seeder.events].filter((e) => e.type === 'relayed' || e.type === 'punching').length, 0);
    for (const p of [leecher, relay, seeder]) await p.swarm.stop();
  });
});
