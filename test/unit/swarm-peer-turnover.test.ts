import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { idlestReplaceable, PerIpCounts, type TurnoverPeer } from '../../src/swarm/peer-turnover.js';

function peer(host: string, connectedAt: number, lastBlockAt?: number, lastBlockSentAt?: number, closed = false): TurnoverPeer {
  return { address: { host }, connectedAt, lastBlockAt, lastBlockSentAt, closed };
}

describe('peer turnover', () => {
  it('counts connections per IPv4 address and per IPv6 /64, and forgets one that left', () => {
    const perIp = new PerIpCounts(Infinity);
    for (const h of ['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.2', 'fd00:1:2:3::1', 'fd00:1:2:3:ffff::9', 'fd00:1:2:4::1']) perIp.take(h, true);
    perIp.release('10.0.0.1'); // one of them closed
    assert.equal(perIp.get('10.0.0.1'), 2);
    assert.equal(perIp.get('10.0.0.3'), 0);
    assert.equal(perIp.get('fd00:1:2:3::77'), 2, 'one host gets a /64: its addresses count together');
  });

  it('replaces the peer idle longest once it had the grace period, never one moving data', () => {
    const grace = 10_000;
    const busy = peer('10.0.0.1', 0, 19_000);
    const uploading = peer('10.0.0.2', 0, undefined, 15_000);
    const idleOld = peer('10.0.0.3', 0);
    const idleLater = peer('10.0.0.4', 5_000, 6_000);
    assert.equal(idlestReplaceable([busy, uploading, idleLater, idleOld], 20_000, grace), idleOld);
    assert.equal(idlestReplaceable([busy, uploading, idleLater], 20_000, grace), idleLater);
    assert.equal(idlestReplaceable([busy, uploading], 20_000, grace), undefined, 'a block either way within the grace keeps a peer');
  });

  it('protects a newcomer for the grace period', () => {
    assert.equal(idlestReplaceable([peer('10.0.0.5', 15_000)], 20_000, 10_000), undefined);
    const p = peer('10.0.0.5', 10_000);
    assert.equal(idlestReplaceable([p], 20_000, 10_000), p);
  });
});
