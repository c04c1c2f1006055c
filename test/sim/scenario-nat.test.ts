/**
 * NAT boxes on the simulator and `shoal sim nat` on a small size: an unsolicited connection
 * into a NAT times out, a port mapping or a punched hole lets it in, UDP replies to what a
 * host sent get through, and traversal raises the share of peer pairs that can connect.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canPunch, ConstantLatency, NatBox, Simulator } from '../../src/sim/index.js';
import { runNatScenario } from '../../src/sim/scenarios/nat-scenario.js';

async function tryConnect(natOf: (box: NatBox) => void): Promise<string> {
  const sim = new Simulator({ seed: 1, latency: new ConstantLatency(10), connectTimeoutMs: 2000 });
  const inside = sim.createHost();
  const outside = sim.createHost();
  const box = new NatBox('port-restricted');
  natOf(box);
  inside.setNat(box);
  const listening = inside.runtime.stream.listen({ host: inside.address, port: 6881 }, () => undefined);
  await sim.runFor(1);
  await listening;
  const result = outside.runtime.stream.connect({ host: inside.address, port: 6881 }).then(() => 'connected', (e: { code?: string }) => e.code ?? 'error');
  await sim.runFor(5000);
  return result;
}

describe('NAT boxes in the simulator', () => {
  it('drop unsolicited connections; a port mapping or a punched hole lets them in', async () => {
    assert.equal(await tryConnect(() => undefined), 'ETIMEDOUT');
    assert.equal(await tryConnect((b) => (b.mapped = true)), 'connected');
    assert.equal(await tryConnect((b) => b.punch(1)), 'connected'); // host ids: inside 0, outside 1
  });

  it('pass UDP replies from hosts the inside host sent to, and nothing else', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(10) });
    const inside = sim.createHost(), server = sim.createHost(), stranger = sim.createHost();
    inside.setNat(new NatBox('restricted-cone'));
    const [a, s, x] = [inside, server, stranger].map((h) => h.runtime.udp.bind({ host: h.address, port: 4000 }));
    await sim.runFor(1);
    const [ea, es, ex] = await Promise.all([a, s, x]);
    const got: string[] = [];
    ea.onMessage((_d, from) => got.push(from.host));
    es.onMessage((d, from) => es.send(d, from));
    ex.send(Uint8Array.of(1), ea.address); // unsolicited: dropped
    await sim.runFor(100);
    ea.send(Uint8Array.of(2), es.address); // the reply comes back
    await sim.runFor(100);
    assert.deepEqual(got, [server.address]);
  });

  it('hole punching fails only for a symmetric NAT against a symmetric or port-restricted one', () => {
    assert.equal(canPunch('symmetric', 'symmetric'), false);
    assert.equal(canPunch('port-restricted', 'symmetric'), false);
    assert.equal(canPunch('symmetric', 'restricted-cone'), true);
    assert.equal(canPunch('full-cone', 'symmetric'), true);
    assert.equal(canPunch('port-restricted', 'port-restricted'), true);
  });
});

describe('shoal sim nat (small)', () => {
  it('traversal raises the share of pairs that can connect, and every leecher still finishes', async () => {
    const r = await runNatScenario({ peers: 16, fileBytes: 512 * 1024, seed: 2 });
    const [none, mapping, punch] = r.runs;
    assert.deepEqual(r.runs.map((x) => x.traversal), ['none', 'mapping', 'holepunch']);
    assert.ok(none.connectablePairs < mapping.connectablePairs && mapping.connectablePairs < punch.connectablePairs, JSON.stringify(r.runs));
    for (const x of r.runs) assert.equal(x.completed, 16, `${x.traversal}: the open origin seed reaches everyone`);
    assert.ok(Math.abs(r.punchableNats - 0.8) < 1e-9);
  });
});
