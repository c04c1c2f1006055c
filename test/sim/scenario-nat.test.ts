/**
 * NAT boxes on the simulator and `shoal sim nat` on a small size: an unsolicited connection
 * into a NAT times out, a port mapping or a punched hole lets it in, UDP replies to what a
 * host sent get through; with real clients behind rewriting gateways (uTP first, Shoal's
 * port mapper, BEP 55 relays) traversal raises the share of peer pairs that connect.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI_PATH } from '../interop/helpers.js';
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

describe('shoal sim nat (small, real traversal)', () => {
  // Few routers answer NAT-PMP here, so hole punching has pairs left to win; fixed seed, virtual time.
  // Leechers arrive steadily: in a flash crowd everyone dials everyone within a minute, and
  // crossing uTP SYNs open cone NATs without any rendezvous (as on real NATs).
  const mix = [
    { type: 'open', share: 0.2 }, { type: 'full-cone', share: 0.1 }, { type: 'restricted-cone', share: 0.2 },
    { type: 'port-restricted', share: 0.2 }, { type: 'symmetric', share: 0.3 },
  ] as const;
  // 30% of NAT routers map ports: over NAT-PMP only, UPnP IGD v1 only, or both with IGD v2.
  const routers = [
    { natPmp: true, upnp: false, share: 0.1 }, { natPmp: false, upnp: 1, share: 0.1 }, { natPmp: true, upnp: 2, share: 0.1 },
    { natPmp: false, upnp: false, share: 0.7 },
  ] as const;

  it('no traversal < port mapping < hole punching in pairs connected; symmetric pairs never punch; a punched pair carries payload over uTP', async () => {
    const r = await runNatScenario({ peers: 24, fileBytes: 2 * 1024 * 1024, seed: 5, mix, routers, arrival: 'steady' });
    const [none, mapping, punch] = r.runs;
    assert.deepEqual(r.runs.map((x) => x.traversal), ['none', 'mapping', 'holepunch']);
    for (const measured of [r.runs.map((x) => x.connectedPairs), r.runs.map((x) => x.connectedOfAttempted)]) {
      assert.ok(measured[0] < measured[1] && measured[1] < measured[2], `measured: ${measured.join(' < ')}`);
    }
    const possible = r.runs.map((x) => x.connectablePairs);
    assert.ok(possible[0] < possible[1] && possible[1] < possible[2], `possible: ${possible.join(' < ')}`);
    for (const x of r.runs) assert.equal(x.completed, 24, `${x.traversal}: the open origin seed reaches everyone`);
    // Port mapping happened through the real mapper and the simulated gateways, over both protocols.
    assert.equal(none.mappedPeers, 0);
    assert.ok(mapping.mappedPeers > 0 && mapping.mappedPeers === punch.mappedPeers);
    assert.ok(mapping.mappedVia.upnp > 0 && mapping.mappedVia.natpmp > 0, JSON.stringify(mapping.mappedVia));
    // BEP 10 yourip votes see the gateways' public addresses.
    assert.equal(none.externalAddressAgreed, none.natedPeers);
    assert.equal(none.punch.attempts + mapping.punch.attempts, 0, 'no punches without ut_holepunch');
    assert.ok(punch.punch.punched > 0, JSON.stringify(punch.punch));
    assert.ok(punch.punch.symmetricBothTried > 0, 'symmetric pairs did try');
    assert.equal(punch.punch.symmetricBoth, 0, 'and never punched through');
    assert.ok(punch.punch.punchedCarriedUtp > 0, 'a punched pair moved payload over uTP');
  });
});

describe('shoal sim nat CLI', () => {
  const run = (args: string[]): Record<string, unknown> => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'sim', 'nat', '--peers', '8', '--file-mib', '0.25', '--seed', '3', '--json', ...args], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    delete j.wallS;
    return j;
  };

  let all: Record<string, unknown> | undefined;
  const allArms = (): Record<string, unknown> => (all ??= run(['--jobs', '0']));

  it('runs the three arms in worker threads with the same figures as one after another in one thread', () => {
    const here = allArms();
    assert.deepEqual((here.runs as { traversal: string }[]).map((x) => x.traversal), ['none', 'mapping', 'holepunch']);
    assert.deepEqual(run(['--jobs', '3']), here);
    assert.deepEqual(run(['--jobs', '1']), here);
  });

  it('--traversals runs only the arms named, in report order, with the figures they have in the full run', () => {
    const some = run(['--jobs', '0', '--traversals', 'holepunch,none']);
    const runs = (allArms().runs as { traversal: string }[]);
    assert.deepEqual(some.runs, [runs[0], runs[2]]);
    assert.deepEqual((some.runs as { traversal: string }[]).map((x) => x.traversal), ['none', 'holepunch']);
  });

  it('--traversals refuses a name it does not know, naming the ones it does', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'sim', 'nat', '--peers', '8', '--traversals', 'none,upnp'], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--traversals: 'upnp' is not one of none, mapping, holepunch/);
  });
});
