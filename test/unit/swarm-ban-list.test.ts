/** The session's ban list (issue 12 item 4): keyed by IP, bounded, and the repeat-violation rule. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BanList, banKey } from '../../src/swarm/ban-list.js';

describe('BanList', () => {
  it('bans an IP whatever the port, and an IPv4-mapped IPv6 address as its IPv4 address', () => {
    const b = new BanList();
    b.ban('10.0.0.5', 'bad data', 0);
    assert.ok(b.isBanned('10.0.0.5', 1));
    assert.ok(b.isBanned('::ffff:10.0.0.5', 1));
    assert.ok(!b.isBanned('10.0.0.6', 1));
    assert.equal(banKey('::FFFF:10.0.0.5'), '10.0.0.5');
    assert.equal(banKey('fd00::1'), 'fd00:0:0:0::/64');
  });

  it('bans an IPv6 address with its whole /64, where one host holds 2^64 addresses', () => {
    const b = new BanList({ maxViolations: 2 });
    b.ban('2001:db8:1:2::1', 'bad data', 0);
    assert.ok(b.isBanned('2001:db8:1:2:ffff:ffff:ffff:fffe', 1));
    assert.ok(!b.isBanned('2001:db8:1:3::1', 1), 'the next /64 is someone else');
    // Violations from different addresses of one /64 add up.
    assert.equal(b.recordViolation('2001:db8:9:9::1', 'flood', 0), false);
    assert.equal(b.recordViolation('2001:db8:9:9::2', 'flood', 1), true);
    assert.ok(b.isBanned('2001:db8:9:9::3', 2));
  });

  it('holds a ban for corrupt data for the session', () => {
    const b = new BanList();
    b.ban('10.0.0.5', 'bad data', 0);
    assert.ok(b.isBanned('10.0.0.5', 365 * 24 * 3600_000));
    assert.equal(b.reason('10.0.0.5', 1), 'bad data');
  });

  it('keeps at most maxBans entries, dropping the oldest first', () => {
    const b = new BanList({ maxBans: 3 });
    for (let i = 1; i <= 5; i++) b.ban(`10.0.0.${i}`, 'x', i);
    assert.equal(b.size, 3);
    assert.deepEqual([1, 2, 3, 4, 5].map((i) => b.isBanned(`10.0.0.${i}`, 10)), [false, false, true, true, true]);
  });

  it('refuses an IP at its maxViolations-th violation within the window, for violationBanMs exactly', () => {
    const b = new BanList({ maxViolations: 3, violationWindowMs: 1000, violationBanMs: 5000 });
    assert.equal(b.recordViolation('10.0.0.9', 'v1', 0), false);
    assert.equal(b.recordViolation('10.0.0.9', 'v2', 100), false);
    assert.ok(!b.isBanned('10.0.0.9', 150), 'two violations only close connections');
    assert.equal(b.recordViolation('10.0.0.9', 'v3', 200), true);
    assert.ok(b.isBanned('10.0.0.9', 200));
    assert.match(b.reason('10.0.0.9', 200) ?? '', /3 protocol violations .*v3/);
    assert.ok(b.isBanned('10.0.0.9', 5199));
    assert.ok(!b.isBanned('10.0.0.9', 5200), 'the refusal ends after violationBanMs');
    assert.equal(b.size, 0, 'an expired refusal is forgotten');
  });

  it('does not add up violations further apart than the window', () => {
    const b = new BanList({ maxViolations: 2, violationWindowMs: 1000 });
    for (let t = 0; t < 10_000; t += 1000) assert.equal(b.recordViolation('10.0.0.9', 'v', t), false);
    assert.ok(!b.isBanned('10.0.0.9', 10_000));
  });

  it('remembers the violations of at most maxTrackedViolators IPs', () => {
    const b = new BanList({ maxTrackedViolators: 100, maxViolations: 2 });
    for (let i = 0; i < 1000; i++) b.recordViolation(`10.0.${i >> 8}.${i & 255}`, 'v', 0);
    assert.equal(b.trackedViolators, 100);
    assert.equal(b.size, 0);
  });
});
