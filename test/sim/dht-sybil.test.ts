import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { predictedEclipse, runSybilSimulation, type SybilReport } from '../../src/dht/sim/sybil.js';
import type { SybilCliReport } from '../../src/cli/sim-sybil.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PATH, makeTempDir, removeDir } from '../interop/helpers.js';

const small = (identities: number): Promise<SybilReport> =>
  runSybilSimulation({ nodes: 300, addresses: 4, identities, lookups: 60, maxPaths: 4, disjointPaths: 4, seed: 3 });

describe('Sybil attack on one DHT key (shoal sim sybil)', () => {
  it('predicts (1 - (1 - f)^h)^d eclipsed for an attacker share f, h hops and d disjoint paths', () => {
    assert.equal(predictedEclipse(0, 3, 1), 0, 'no attacker, no eclipse');
    assert.equal(predictedEclipse(1, 3, 4), 1, 'only attackers, every lookup eclipsed');
    assert.ok(Math.abs(predictedEclipse(0.2, 2, 1) - 0.36) < 1e-12);
    assert.ok(Math.abs(predictedEclipse(0.2, 2, 3) - 0.36 ** 3) < 1e-12, 'each extra path multiplies by the one-path share');
  });

  it('eclipses more lookups with more identities; BEP 42 lowers it, disjoint lookups on top lower it further', async () => {
    const few = await small(4);
    const many = await small(64);
    for (const r of [few, many]) {
      assert.equal(r.baseline.none, 0, 'every lookup found the value before the attack');
      assert.equal(r.baseline.bep42, 0, 'also with BEP 42 ids');
      assert.ok(r.prefixBits.none.attacker >= 128, `without BEP 42 the attacker sits next to the key (${r.prefixBits.none.attacker} bits)`);
      assert.ok(r.prefixBits.bep42.attacker < 21, `with BEP 42 its ids share no more than the ~log2(8A) bits a choice of 8A prefixes gives (${r.prefixBits.bep42.attacker} bits)`);
    }
    assert.ok(many.eclipsed.none > few.eclipsed.none, `more identities, more eclipsed: S = 4 ${few.eclipsed.none}, S = 64 ${many.eclipsed.none}`);
    // 14 of the 60 lookups before session 13's lookup timing (slow nodes' grace from their own
    // soft timeout, soft timeout adapted after 8 answers), 10 after: a good share either way
    // (seeds 1 and 2 give 5-14 of 60 with or without the change).
    assert.ok(many.eclipsed.none >= 0.15, `64 ids next to the key eclipse a good share (${many.eclipsed.none})`);
    assert.equal(many.captured.none, 1, 'without BEP 42 every lookup ends among Sybils only');
    assert.ok(many.eclipsed.bep42 < many.eclipsed.none, `BEP 42 lowers it: ${many.eclipsed.bep42} against ${many.eclipsed.none}`);
    assert.ok(many.eclipsed.disjoint < many.eclipsed.bep42, `4 disjoint paths lower it further: ${many.eclipsed.disjoint} against ${many.eclipsed.bep42}`);
    assert.equal(many.byPaths.bep42.length, 4);
    assert.equal(many.eclipsed.disjoint, many.byPaths.bep42[3].eclipsed, 'the headline is d = 4 on the BEP 42 network');
    assert.equal(many.eclipsed.puzzle, many.puzzle.rows.at(-1)!.eclipsed, 'the puzzle headline is the attacker that grinds the most');
  });

  it('is the same run for the same seed', async () => {
    const a = await runSybilSimulation({ nodes: 100, addresses: 2, identities: 16, lookups: 20, maxPaths: 2, disjointPaths: 2, seed: 9 });
    const b = await runSybilSimulation({ nodes: 100, addresses: 2, identities: 16, lookups: 20, maxPaths: 2, disjointPaths: 2, seed: 9 });
    assert.deepEqual({ ...a, wallMs: 0 }, { ...b, wallMs: 0 });
  });

  it('prints the headline per defence with --json, writes charts with --out, sweeps a list of identities, and rejects fewer identities than addresses', () => {
    const tmp = makeTempDir('shoal-sim-sybil-');
    const out = join(tmp, 'sybil.html');
    const r = spawnSync(process.execPath, [CLI_PATH, 'sim', 'sybil', '--nodes', '100', '--addresses', '2', '--identities', '16,4', '--lookups', '10', '--max-paths', '2', '--paths', '2', '--swarm-honest', '10', '--swarm-sybils', '10', '--json', '--out', out], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(out, 'utf8');
    removeDir(tmp);
    // The report's own section (charts beside the S/Kademlia anchor, the swarm half), then the sweep.
    assert.deepEqual([...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]), ['sybil', 'sybil-sweep']);
    assert.equal([...html.matchAll(/<canvas /g)].length, 3, 'eclipsed against d, per defence, the swarm half');
    assert.match(html, /predicted \(1 − \(1 − f\)\^h\)\^d/);
    const j = JSON.parse(r.stdout) as SybilCliReport;
    assert.deepEqual(j.sweep.map((x) => [x.addresses, x.identities]), [[2, 16], [2, 4]], 'one entry per pair, in order');
    assert.deepEqual(j.sweep[0].eclipsed, j.eclipsed, 'the headline is the first pair');
    for (const k of ['none', 'bep42', 'disjoint'] as const) {
      assert.ok(typeof j.eclipsed[k] === 'number' && j.eclipsed[k] >= 0 && j.eclipsed[k] <= 1, `eclipsed.${k} is a share`);
    }
    assert.ok(typeof j.eclipsed.puzzle === 'number' && j.eclipsed.puzzle >= 0 && j.eclipsed.puzzle <= 1, 'eclipsed.puzzle is a share');
    // The swarm half: three runs of the same honest leechers (10 Sybils among 10 reachable
    // leechers cost about nothing: test/sim/scenario-sybil-swarm.test.ts has the costly case).
    assert.ok(j.swarmSybil !== null && j.swarmSybil.slowdownUndefended > 0 && j.swarmSybil.runs.defended.sybilConnections > 0, JSON.stringify(j.swarmSybil));
    assert.equal(j.swarmSybil.completed.defended, 10, 'every honest leecher still finishes');
    const bad = spawnSync(process.execPath, [CLI_PATH, 'sim', 'sybil', '--addresses', '4', '--identities', '2'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--identities/);
  });

  it('with crypto-puzzle ids the attacker cannot place its ids: random ids stay under (1 - (1 - f)^h)^d, and each bit of placement costs it key tries', async () => {
    const r = await runSybilSimulation({ nodes: 150, addresses: 4, identities: 32, lookups: 40, maxPaths: 3, disjointPaths: 3, seed: 4, puzzleBits: 6, puzzleGrind: [1, 64] });
    const [random, ground] = r.puzzle.rows;
    // About grind x 2^bits key tries per identity kept.
    assert.ok(random.triesPerIdentity > 2 ** 6 / 2 && random.triesPerIdentity < 2 ** 6 * 2, `${random.triesPerIdentity} tries per random id`);
    assert.ok(ground.triesPerIdentity > 64 * 2 ** 6 / 2, `${ground.triesPerIdentity} tries per ground id`);
    // Without grinding its ids land where SHA-1 puts them, no nearer the key than honest ids; with 64x the work, nearer.
    assert.ok(random.attackerPrefix <= r.prefixBits.none.honest + 2, `random ids share ${random.attackerPrefix} bits with the key`);
    assert.ok(ground.attackerPrefix > random.attackerPrefix, `grinding 64x: ${ground.attackerPrefix} bits against ${random.attackerPrefix}`);
    assert.ok(r.eclipsed.puzzle < r.eclipsed.none, `puzzle ${r.eclipsed.puzzle} against none ${r.eclipsed.none}`);
    // Random placement is the case S/Kademlia's formula models; it counts every path that meets a
    // Sybil as lost, so 8-wide lookups that route around one do at least as well at every d.
    assert.equal(r.byPaths.puzzle.length, 3);
    for (const row of r.byPaths.puzzle) assert.ok(row.eclipsed <= row.predicted + 0.05, `d = ${row.paths}: ${row.eclipsed} measured, ${row.predicted} predicted`);
    assert.ok(r.byPaths.puzzle[0].predicted > r.byPaths.puzzle[2].predicted, 'the prediction falls with d');
  });
});
