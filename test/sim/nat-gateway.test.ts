/**
 * Address-rewriting NAT gateways on the simulator (RFC 4787): traffic from behind a NAT
 * appears from the gateway's public address, filtering follows the NAT type, a symmetric
 * NAT maps a fresh port per destination, idle mappings expire, the private address is
 * unreachable, Shoal's real port mapper gets a forward over NAT-PMP (RFC 6886), and the
 * external-address vote learns the public address and the NAT's port behaviour from DHT replies.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, NatRouter, Simulator, type GatewayType, type SimHost } from '../../src/sim/index.js';
import { PortMapper } from '../../src/nat/port-mapper.js';
import { ExternalAddress } from '../../src/nat/external-address.js';
import { Dht } from '../../src/dht/dht.js';
import type { Address, UdpEndpoint } from '../../src/runtime/types.js';

async function bind(sim: Simulator, hosts: SimHost[], port = 4000): Promise<UdpEndpoint[]> {
  const ps = hosts.map((h) => h.runtime.udp.bind({ host: h.address, port }));
  await sim.runFor(1);
  return Promise.all(ps);
}

/** Endpoints that record what reaches them (`from` as host:port). */
function record(ep: UdpEndpoint): string[] {
  const got: string[] = [];
  ep.onMessage((_d, from) => got.push(`${from.host}:${from.port}`));
  return got;
}

function setup(type: GatewayType, udpTimeoutMs?: number) {
  const sim = new Simulator({ seed: 7, latency: new ConstantLatency(10), connectTimeoutMs: 2000 });
  const inside = sim.createHost(), server = sim.createHost(), stranger = sim.createHost();
  const gw = NatRouter.of(sim.network).add(inside, { type, udpTimeoutMs });
  return { sim, inside, server, stranger, gw };
}

const at = (a: Address): string => `${a.host}:${a.port}`;

describe('NAT gateways rewrite addresses (RFC 4787)', () => {
  it('a cone NAT sends from its public address, keeps the port, and lets replies back in', async () => {
    const { sim, inside, server, gw } = setup('port-restricted');
    const [ei, es] = await bind(sim, [inside, server]);
    const atServer = record(es);
    const atInside = record(ei);
    ei.send(Uint8Array.of(1), es.address);
    await sim.runFor(50);
    assert.deepEqual(atServer, [`${gw.publicAddress}:4000`], 'the server sees the public address, port preserved');
    assert.notEqual(gw.publicAddress, inside.address);
    es.send(Uint8Array.of(2), { host: gw.publicAddress, port: 4000 });
    await sim.runFor(50);
    assert.deepEqual(atInside, [at(es.address)]);
  });

  it('filters by type: full cone admits anyone once mapped, restricted cone by address, port-restricted by address and port', async () => {
    const cases: [GatewayType, boolean, boolean][] = [
      // type, stranger gets in, server's other port gets in
      ['full-cone', true, true],
      ['restricted-cone', false, true],
      ['port-restricted', false, false],
      ['symmetric', false, false],
    ];
    for (const [type, strangerIn, otherPortIn] of cases) {
      const { sim, inside, server, stranger, gw } = setup(type);
      const [ei, es, ex] = await bind(sim, [inside, server, stranger]);
      const [es2] = await bind(sim, [server], 5000);
      const got = record(ei);
      const atServer = record(es);
      ei.send(Uint8Array.of(1), es.address);
      await sim.runFor(50);
      // Where the server saw us (a symmetric NAT's port is not 4000).
      const [host, port] = atServer[0].split(':');
      const seen = { host, port: Number(port) };
      assert.equal(host, gw.publicAddress);
      got.length = 0;
      ex.send(Uint8Array.of(2), seen);
      es2.send(Uint8Array.of(3), seen);
      es.send(Uint8Array.of(4), seen);
      await sim.runFor(50);
      assert.equal(got.includes(at(ex.address)), strangerIn, `${type}: stranger`);
      assert.equal(got.includes(at(es2.address)), otherPortIn, `${type}: the server's other port`);
      assert.ok(got.includes(at(es.address)), `${type}: the reply from the host and port it sent to`);
    }
  });

  it('a symmetric NAT maps a fresh external port per destination; a cone NAT one for all', async () => {
    for (const [type, distinct] of [['symmetric', true], ['restricted-cone', false]] as const) {
      const { sim, inside, server, stranger, gw } = setup(type);
      const [ei, es, ex] = await bind(sim, [inside, server, stranger]);
      const seen = [record(es), record(ex)];
      ei.send(Uint8Array.of(1), es.address);
      ei.send(Uint8Array.of(1), ex.address);
      await sim.runFor(50);
      assert.equal(seen[0][0] !== seen[1][0], distinct, `${type}: ${seen.join(' / ')}`);
      assert.ok(seen.flat().every((s) => s.startsWith(`${gw.publicAddress}:`)));
    }
  });

  it('an idle mapping expires: a reply after the timeout is dropped, outbound traffic keeps it', async () => {
    const { sim, inside, server, gw } = setup('restricted-cone', 30_000);
    const [ei, es] = await bind(sim, [inside, server]);
    const got = record(ei);
    const pub = { host: gw.publicAddress, port: 4000 };
    ei.send(Uint8Array.of(1), es.address);
    await sim.runFor(20_000);
    ei.send(Uint8Array.of(1), es.address); // refresh at 20 s
    await sim.runFor(20_000);
    es.send(Uint8Array.of(2), pub); // 20 s after the refresh: still mapped
    await sim.runFor(31_000);
    es.send(Uint8Array.of(3), pub); // 51 s idle: gone
    await sim.runFor(50);
    assert.equal(got.length, 1);
    assert.equal(gw.stats.mappingsExpired, 1);
  });

  it('holds at most maxMappings: a datagram that needs one more is dropped', async () => {
    const sim = new Simulator({ seed: 7, latency: new ConstantLatency(10) });
    const inside = sim.createHost();
    const others = [sim.createHost(), sim.createHost(), sim.createHost()];
    const gw = NatRouter.of(sim.network).add(inside, { type: 'symmetric', maxMappings: 2 });
    const [ei, ...eps] = await bind(sim, [inside, ...others]);
    const got = eps.map(record);
    for (const ep of eps) ei.send(Uint8Array.of(1), ep.address);
    await sim.runFor(50);
    assert.deepEqual(got.map((g) => g.length), [1, 1, 0]);
    assert.equal(gw.mappings, 2);
  });

  it('nobody outside reaches the private address behind a gateway', async () => {
    const { sim, inside, server } = setup('full-cone');
    const [ei, es] = await bind(sim, [inside, server]);
    const got = record(ei);
    ei.send(Uint8Array.of(1), es.address);
    await sim.runFor(50);
    es.send(Uint8Array.of(2), ei.address);
    await sim.runFor(50);
    assert.deepEqual(got, []);
    const refused = server.runtime.stream.connect({ host: inside.address, port: 6881 }).then(() => 'connected', (e: { code?: string }) => e.code);
    await sim.runFor(3000);
    assert.equal(await refused, 'ETIMEDOUT');
  });

  it('streams: the far side sees the public address; an unsolicited SYN to the public address times out', async () => {
    const { sim, inside, server, gw } = setup('port-restricted');
    const accepted: Address[] = [];
    void server.runtime.stream.listen({ host: server.address, port: 6881 }, (s) => accepted.push(s.remote));
    void inside.runtime.stream.listen({ host: inside.address, port: 6881 }, () => undefined);
    await sim.runFor(1);
    const out = inside.runtime.stream.connect({ host: server.address, port: 6881 });
    const into = server.runtime.stream.connect({ host: gw.publicAddress, port: 6881 }).then(() => 'connected', (e: { code?: string }) => e.code);
    await sim.runFor(3000);
    await out;
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].host, gw.publicAddress);
    assert.equal(await into, 'ETIMEDOUT');
    assert.equal(gw.stats.synsDropped, 1);
  });

  it("Shoal's port mapper gets forwards over NAT-PMP; then uTP-style datagrams and connections from anyone get in", async () => {
    const sim = new Simulator({ seed: 7, latency: new ConstantLatency(10), connectTimeoutMs: 2000 });
    const inside = sim.createHost(), stranger = sim.createHost();
    const gw = NatRouter.of(sim.network).add(inside, { type: 'symmetric', natPmp: true });
    const [socket, peer] = await bind(sim, [inside], 0).then(async ([s]) => [s, (await bind(sim, [inside], 6881))[0]]);
    const [ex] = await bind(sim, [stranger]);
    const got = record(peer);
    let connected = 0;
    void inside.runtime.stream.listen({ host: inside.address, port: 6881 }, () => connected++);
    const mapper = new PortMapper({
      clock: inside.runtime.clock, random: inside.runtime.random, socket, gateway: gw.lanAddress, clientAddress: inside.address,
      mappings: [{ protocol: 'tcp', internalPort: 6881 }, { protocol: 'udp', internalPort: 6881 }],
    });
    mapper.start();
    await sim.runFor(5000);
    const states = mapper.mappings();
    assert.deepEqual(states.map((m) => [m.protocol, m.status, m.externalAddress, m.externalPort]), [
      ['tcp', 'mapped', gw.publicAddress, 6881], ['udp', 'mapped', gw.publicAddress, 6881],
    ]);
    assert.ok(states.every((m) => m.via === 'natpmp'), 'PCP was refused with UNSUPP_VERSION, NAT-PMP used');
    ex.send(Uint8Array.of(1), { host: gw.publicAddress, port: 6881 });
    const conn = stranger.runtime.stream.connect({ host: gw.publicAddress, port: 6881 });
    await sim.runFor(100);
    await conn;
    assert.deepEqual(got, [at(ex.address)]);
    assert.equal(connected, 1);
    // Outbound from the mapped port leaves from the forward (even on a symmetric NAT).
    const seen = record(ex);
    peer.send(Uint8Array.of(2), ex.address);
    await sim.runFor(50);
    assert.deepEqual(seen, [`${gw.publicAddress}:6881`]);
    const stopping = mapper.stop();
    await sim.runFor(5000);
    await stopping;
    assert.equal(gw.forwardCount('tcp') + gw.forwardCount('udp'), 0, 'stop() deleted both forwards');
  });
});

describe('NAT gateways and the external address (BEP 42 `ip`)', () => {
  it("DHT nodes report the gateway's public address; the vote tells a symmetric NAT from a cone by the ports", async () => {
    for (const [type, verdict] of [['port-restricted', 'cone'], ['symmetric', 'symmetric']] as const) {
      const sim = new Simulator({ seed: 42, latency: new ConstantLatency(10) });
      const inside = sim.createHost();
      const gw = NatRouter.of(sim.network).add(inside, { type });
      const vote = new ExternalAddress({ localHosts: [inside.address] });
      const started = Dht.start(inside.runtime, {
        bind: { host: inside.address, port: 6881 },
        onIpReport: (from, seen) => vote.vote({ source: 'dht', reporter: from.host, host: seen.host, port: seen.port, localPort: 6881 }),
      });
      const publics = [0, 1, 2].map(() => {
        const h = sim.createHost();
        return Dht.start(h.runtime, { bind: { host: h.address, port: 6881 } }).then((d) => ({ d, address: { host: h.address, port: 6881 } }));
      });
      await sim.runFor(1);
      const dht = await started;
      const nodes = await Promise.all(publics);
      const pings = nodes.map((n) => dht.ping(n.address));
      await sim.runFor(2000);
      await Promise.all(pings);
      assert.equal(vote.host, gw.publicAddress, `${type}: the vote decided the public address`);
      assert.equal(vote.natType, verdict, `${type}: judged from the ports three nodes saw`);
      dht.close();
      for (const n of nodes) n.d.close();
    }
  });
});
