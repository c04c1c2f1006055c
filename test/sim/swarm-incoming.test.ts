/**
 * Incoming connections on virtual time (issue 12, items 1 and 4): the exact time and reason
 * each one is refused or closed. One-way latency is a constant 10 ms, so a connect made at
 * t reaches the listener at t + 30 ms (SYN, SYN-ACK, ACK) and our close reaches the client
 * 10 ms after we close.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ByteStream } from '../../src/runtime/types.js';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { BanList } from '../../src/swarm/ban-list.js';
import { IncomingGate, type IncomingOptions, type RefuseReason } from '../../src/swarm/incoming.js';
import type { Swarm, SwarmEvent } from '../../src/swarm/swarm.js';
import { generatePeerId } from '../../src/wire/index.js';
import { handshakeBytes, makeFixture, seededStorage, simSwarm, watch, type ClientLog, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
let f: Fixture;
before(async () => (f = await makeFixture(256 * 1024, 16 * 1024)));
after(() => f.cleanup());

interface Setup {
  sim: Simulator;
  server: SimHost;
  swarm: Swarm;
  gate: IncomingGate;
  bans: BanList;
  events: (SwarmEvent & { at: number })[];
  refusals: { at: number; host: string; reason: RefuseReason }[];
  /** Connects from `client` at the current virtual time; sends `data` once connected. */
  dial(client: SimHost, data?: Uint8Array): ClientLog & { stream?: ByteStream };
}

async function setup(options: IncomingOptions, room?: () => number, bans = new BanList()): Promise<Setup> {
  const sim = new Simulator({ seed: 3, latency: new ConstantLatency(10) });
  const server = sim.createHost();
  const events: Setup['events'] = [];
  const swarm = simSwarm(server, f, await seededStorage(f), { bans, onEvent: (e) => events.push({ ...e, at: sim.now }) });
  const refusals: Setup['refusals'] = [];
  const gate = new IncomingGate({
    runtime: server.runtime, peerId: generatePeerId(server.runtime.random), bans, room, options,
    find: () => swarm,
    onRefused: (remote, reason) => refusals.push({ at: sim.now, host: remote.host, reason }),
  });
  const listening = server.runtime.stream.listen({ host: server.address, port: PORT }, (s) => gate.offer(s));
  await sim.run({ until: 1 });
  await listening;
  await swarm.start();
  const dial = (client: SimHost, data?: Uint8Array) => {
    const log: ClientLog & { stream?: ByteStream } = { bytes: 0, closedAt: undefined, closeError: undefined, endedAt: undefined };
    void client.runtime.stream.connect({ host: server.address, port: PORT }).then((s) => {
      Object.assign(log, watch(s, () => sim.now, log), { stream: s });
      if (data) s.write(data);
    });
    return log;
  };
  return { sim, server, swarm, gate, bans, events, refusals, dial };
}

describe('incoming connections before their handshake', () => {
  it('closes a connection that sends nothing exactly when the handshake timeout runs out', async () => {
    const t = await setup({ handshakeTimeoutMs: 10_000 });
    const client = t.sim.createHost();
    const start = t.sim.now;
    const log = t.dial(client);
    await t.sim.run({ until: start + 20 });
    assert.equal(t.gate.pending, 0, 'not accepted before the ACK arrives');
    await t.sim.run({ until: start + 30 });
    assert.equal(t.gate.pending, 1, 'accepted and counted at t + 30 ms');
    await t.sim.run({ until: start + 10_029 });
    assert.equal(log.closedAt, undefined, 'still open just before the deadline');
    await t.sim.run({ until: start + 11_000 });
    // Accepted at +30, closed at +10 030, the reset reaches the client at +10 040.
    assert.equal(log.closedAt, start + 10_040);
    assert.match(log.closeError ?? '', /ECONNRESET|reset/);
    assert.equal(log.bytes, 0);
    assert.equal(t.gate.pending, 0);
    await t.swarm.stop();
  });

  it('closes a connection whose peer half-closes (FIN) before its handshake, at once', async () => {
    const t = await setup({ handshakeTimeoutMs: 10_000 });
    const client = t.sim.createHost();
    const start = t.sim.now;
    const log = t.dial(client);
    await t.sim.run({ until: start + 1000 });
    assert.equal(t.gate.pending, 1);
    log.stream!.end();
    await t.sim.run({ until: start + 2000 });
    // FIN sent at +1000 arrives at +1010; our reset is back at +1020 (no CLOSE_WAIT for 10 s).
    assert.equal(log.closedAt, start + 1020);
    assert.equal(t.gate.pending, 0);
    await t.swarm.stop();
  });

  it(`refuses connections past maxPendingHandshakes at accept, and takes new ones once those time out`, async () => {
    const t = await setup({ maxPendingHandshakes: 3, maxPendingPerIp: 10, handshakeTimeoutMs: 5_000 });
    const client = t.sim.createHost();
    const start = t.sim.now;
    const logs = [0, 1, 2, 3, 4].map(() => t.dial(client));
    await t.sim.run({ until: start + 100 });
    assert.equal(t.gate.pending, 3, 'three held');
    assert.deepEqual(logs.map((l) => l.closedAt), [undefined, undefined, undefined, start + 40, start + 40], 'two refused at accept (+30), the client sees it at +40');
    assert.deepEqual(t.refusals.map((r) => [r.at - start, r.reason]), [[30, 'pending_full'], [30, 'pending_full']]);
    await t.sim.run({ until: start + 5_100 });
    assert.equal(t.gate.pending, 0, 'the three timed out at +5 030');
    const late = t.dial(client, handshakeBytes(f.torrent.infoHashV1!, generatePeerId(client.runtime.random)));
    await t.sim.run({ until: t.sim.now + 200 });
    assert.equal(late.closedAt, undefined, 'a new connection is accepted again');
    assert.ok(late.bytes >= 68, 'and answered with our handshake');
    assert.equal(t.swarm.peers.size, 1);
    await t.swarm.stop();
  });

  it('refuses more than maxPendingPerIp pending connections from one IP, not from another', async () => {
    const t = await setup({ maxPendingHandshakes: 32, maxPendingPerIp: 2 });
    const a = t.sim.createHost(), b = t.sim.createHost();
    const start = t.sim.now;
    const fromA = [0, 1, 2].map(() => t.dial(a));
    const fromB = t.dial(b);
    await t.sim.run({ until: start + 100 });
    assert.deepEqual(fromA.map((l) => l.closedAt), [undefined, undefined, start + 40]);
    assert.equal(fromB.closedAt, undefined);
    assert.deepEqual(t.refusals.map((r) => [r.host, r.reason]), [[a.address, 'pending_per_ip']]);
    await t.swarm.stop();
  });

  it("refuses at accept when the session's connection limit is reached", async () => {
    let open = 0;
    const t = await setup({}, () => 2 - open);
    const client = t.sim.createHost();
    open = 2;
    const log = t.dial(client);
    await t.sim.run({ until: t.sim.now + 100 });
    assert.ok(log.closedAt !== undefined && log.bytes === 0, 'closed without a byte');
    assert.deepEqual(t.refusals.map((r) => r.reason), ['connections_full']);
    await t.swarm.stop();
  });

  it('refuses a banned IP at accept, whatever its port, before reading its handshake', async () => {
    const t = await setup({});
    const client = t.sim.createHost();
    t.bans.ban(client.address, 'test', t.sim.now);
    const start = t.sim.now;
    const log = t.dial(client, handshakeBytes(f.torrent.infoHashV1!, generatePeerId(client.runtime.random)));
    await t.sim.run({ until: start + 100 });
    assert.equal(log.closedAt, start + 40);
    assert.equal(log.bytes, 0, 'no handshake answered');
    assert.deepEqual(t.refusals.map((r) => r.reason), ['banned']);
    await t.swarm.stop();
  });
});

describe('violate and reconnect', () => {
  it('closes each violation, refuses the IP after maxViolations within the window, and takes it back after violationBanMs', async () => {
    const bans = new BanList({ maxViolations: 3, violationWindowMs: 60_000, violationBanMs: 30_000 });
    const t = await setup({}, undefined, bans);
    const client = t.sim.createHost();
    const pid = generatePeerId(client.runtime.random);
    // A `have` past the last piece breaks BEP 3.
    const bad = handshakeBytes(f.torrent.infoHashV1!, pid, [{ type: 'have', index: f.torrent.pieceCount + 7 }]);
    const logs: ClientLog[] = [];
    for (let i = 0; i < 6; i++) {
      logs.push(t.dial(client, bad));
      await t.sim.run({ until: t.sim.now + 1000 });
    }
    // Every connection was closed: the first three for their violation, the last three at accept.
    for (const l of logs) assert.ok(l.closedAt !== undefined);
    const reasons = t.events.filter((e) => e.type === 'peer-disconnected' || e.type === 'peer-banned').map((e) => e.type === 'peer-disconnected' ? `closed: ${e.reason}` : 'banned');
    assert.equal(reasons.filter((r) => r.startsWith('closed: protocol violation')).length, 2);
    assert.equal(reasons.filter((r) => r === 'banned').length, 1, 'the third violation refuses the IP');
    assert.deepEqual(t.refusals.map((r) => r.reason), ['banned', 'banned', 'banned']);
    // The refusal began at the third violation; it lasts exactly 30 s.
    const bannedAt = t.events.find((e) => e.type === 'peer-banned')!.at;
    await t.sim.run({ until: bannedAt + 30_000 - 31 });
    const tooEarly = t.dial(client, handshakeBytes(f.torrent.infoHashV1!, pid));
    await t.sim.run({ until: t.sim.now + 100 });
    assert.equal(tooEarly.bytes, 0, 'accepted 1 ms before the end: still refused');
    assert.equal(t.refusals.length, 4);
    const later = t.dial(client, handshakeBytes(f.torrent.infoHashV1!, pid));
    await t.sim.run({ until: t.sim.now + 100 });
    assert.ok(later.bytes > 0 && later.closedAt === undefined, 'accepted once the refusal ran out');
    await t.swarm.stop();
  });
});

describe('outgoing connections before their handshake', () => {
  it('closes a dialled peer that never answers our handshake when the handshake timeout runs out', async () => {
    const sim = new Simulator({ seed: 4, latency: new ConstantLatency(10) });
    const silent = sim.createHost(), us = sim.createHost();
    const held: ByteStream[] = [];
    const listening = silent.runtime.stream.listen({ host: silent.address, port: PORT }, (s) => {
      s.onData(() => undefined); // reads our handshake, answers nothing
      held.push(s);
    });
    await sim.run({ until: 1 });
    await listening;
    const events: (SwarmEvent & { at: number })[] = [];
    const swarm = simSwarm(us, f, await seededStorage(f), { handshakeTimeoutMs: 7_000, onEvent: (e) => events.push({ ...e, at: sim.now }) });
    await swarm.start();
    const start = sim.now;
    swarm.addPeer({ host: silent.address, port: PORT });
    await sim.run({ until: start + 8_000 });
    // connect() resolves one RTT (20 ms) after the dial; the deadline is 7 s later.
    const closed = events.filter((e) => e.type === 'peer-disconnected');
    assert.deepEqual(closed.map((e) => [e.at - start, e.type === 'peer-disconnected' && e.reason]), [[7_020, 'timed out (handshake)']]);
    assert.equal(held.length, 1);
    await swarm.stop();
  });
});

describe('connection attempts in flight', () => {
  it('keeps the attempts of all swarms sharing a session-wide budget (maxHalfOpen) under it', async () => {
    const sim = new Simulator({ seed: 5, latency: new ConstantLatency(10) });
    const us = sim.createHost();
    const dialing = { max: 3, count: 0 };
    const swarms = [simSwarm(us, f, await seededStorage(f), { globalHalfOpen: dialing }), simSwarm(us, f, await seededStorage(f), { globalHalfOpen: dialing })];
    let most = 0;
    for (const s of swarms) {
      await s.start();
      // Addresses nobody answers: each attempt is held until the 10 s connect timeout.
      for (let i = 0; i < 10; i++) s.addPeer({ host: `10.9.${swarms.indexOf(s)}.${i + 1}`, port: PORT });
    }
    const probe = () => {
      most = Math.max(most, dialing.count);
      if (sim.now < 45_000) sim.schedule(100, probe);
    };
    probe();
    await sim.run({ until: 50_000 });
    assert.equal(most, 3, 'never more than 3 attempts in flight (each swarm alone allows 8)');
    assert.equal(dialing.count, 3, 'attempts go on as earlier ones time out');
    for (const s of swarms) await s.stop();
  });
});
