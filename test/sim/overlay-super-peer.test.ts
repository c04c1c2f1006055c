import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { superPeerOverlay, type SuperPeerNode } from '../../src/overlays/super-peer/index.js';
import { runExperiment } from '../../src/overlays/harness/experiment.js';
import type { Member } from '../../src/overlays/harness/population.js';
import type { QueryResult } from '../../src/overlays/types.js';

describe('the super-peer overlay', () => {
  it('elects a minority of strong super-peers and answers a leaf query for an item another leaf holds', async () => {
    const r = await runExperiment(superPeerOverlay(), { nodes: 1000, queries: 200, seed: 41, settleMs: 30_000 });
    assert.equal(r.figures.success, 1);
    const pop = r.population;
    const members = pop.members as Member<SuperPeerNode>[];
    const supers = members.filter((m) => m.node.role === 'super');
    assert.ok(supers.length > 20 && supers.length < 250, `${supers.length} super-peers`);
    // Elected by capacity (the first node of the network is exempt).
    assert.ok(supers.filter((m) => m.capacity < 5).length <= 1);
    assert.ok(members.every((m) => m.node.role === 'super' || m.node.superPeers.length >= 1), 'every leaf is attached');
    // A leaf asks for an item that only leaves hold.
    const item = pop.catalogue.targets.findIndex((_, i) => {
      const holders = members.filter((m) => m.items.includes(i));
      return holders.length > 0 && holders.length < 5 && holders.every((m) => m.node.role === 'leaf');
    });
    assert.ok(item >= 0);
    const asker = members.find((m) => m.node.role === 'leaf' && !m.items.includes(item))!;
    let result: QueryResult | null = null;
    asker.node.query(pop.catalogue.targets[item], (res) => (result = res));
    await r.sim.runFor(30_000);
    assert.ok(result !== null && (result as QueryResult).found);
    const responder = pop.byAddress((result as QueryResult).responder!)!;
    assert.equal((responder.node as SuperPeerNode).role, 'leaf');
    assert.ok(responder.items.includes(item));
  });

  it('fails leaves over to another super-peer when theirs leaves', async () => {
    const r = await runExperiment(superPeerOverlay(), { nodes: 500, queries: 10, seed: 42, settleMs: 30_000 });
    const pop = r.population;
    const members = pop.members as Member<SuperPeerNode>[];
    const victim = members.filter((m) => m.node.role === 'super').sort((a, b) => b.node.leaves.size - a.node.leaves.size)[0];
    const orphans = victim.node.leaves.leaves.map((l) => members.find((m) => m.key === l.key)!);
    assert.ok(orphans.length > 5);
    pop.depart(victim as Member, false);
    await r.sim.runFor(120_000);
    for (const m of orphans) {
      assert.ok(!m.node.superPeers.includes(victim.key), 'the dead super-peer was dropped');
      assert.ok(m.node.joined, 'and the leaf is attached again (or was promoted)');
    }
    // Their queries still work.
    let found = 0;
    const item = pop.catalogue.targets.findIndex((_, i) => pop.holders[i] > 20);
    for (const m of orphans) m.node.query(pop.catalogue.targets[item], (res) => void (res.found && found++));
    await r.sim.runFor(30_000);
    assert.equal(found, orphans.length);
  });
});
