/**
 * The Sybil report's swarm half (src/sim/scenarios/sybil-report.ts): besides the three means it
 * says, per run, how many honest leechers finished and how their Sybil connections ended.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SybilReport } from '../../src/dht/sim/sybil.js';
import { swarmSybilParagraphs, sybilSection } from '../../src/sim/scenarios/sybil-report.js';
import type { SwarmSybilReport, SwarmSybilRun } from '../../src/sim/scenarios/swarm-sybil.js';

const run = (meanS: number, completed: number, sybilConnections: number, silentDrops: number, turnovers: number): SwarmSybilRun => ({ meanS, worstS: meanS * 2, completed, sybilConnections, silentDrops, turnovers });

const swarm: SwarmSybilReport = {
  honest: 5, sybils: 100, fileBytes: 1 << 20, nat: 'port-restricted',
  baselineMeanS: 11.5, undefendedMeanS: 134, defendedMeanS: 80.2,
  slowdownUndefended: 134 / 11.5, slowdownDefended: 80.2 / 11.5,
  completed: { baseline: 5, undefended: 4, defended: 3 },
  runs: { baseline: run(11.5, 5, 0, 0, 0), undefended: run(134, 4, 208, 0, 0), defended: run(80.2, 3, 450, 251, 7) },
  honestClasses: [],
};

/** The DHT half, only what the section reads. */
const dht = {
  nodes: 100, identities: 10, addresses: 2, attackerShare: 0.1, lookups: 10, disjointPaths: 4,
  eclipsed: { none: 0.5, bep42: 0.2, disjoint: 0.1, puzzle: 0.05 },
  byPaths: { none: [], bep42: [], puzzle: [] },
  puzzle: { bits: 8, rows: [] },
} as unknown as SybilReport;

describe('the Sybil report, swarm half', () => {
  it('gives each run its finished count, silent-peer drops and turnovers', () => {
    const text = swarmSybilParagraphs(swarm).join('\n');
    assert.match(text, /no Sybils: 5\/5 finished/);
    assert.match(text, /no silent-peer drop: 4\/5 finished \(worst 268 s\), 208 Sybil connections, 0 silent-peer drops, 0 turnovers/);
    assert.match(text, /Shoal's defences: 3\/5 finished \(worst 160 s\), 450 Sybil connections, 251 silent-peer drops, 7 turnovers/);
    assert.match(text, /mean completion 11\.5 s without them, 134\.0 s without the silent-peer drop, 80\.2 s with Shoal's defences/);
  });

  it('puts them in the section', () => {
    const section = sybilSection(dht, swarm);
    assert.ok(section.paragraphs.some((p) => p.includes('251 silent-peer drops, 7 turnovers')), JSON.stringify(section.paragraphs));
    assert.equal(sybilSection(dht, null).paragraphs.length, 1, 'no swarm half: the DHT paragraph only');
  });
});
