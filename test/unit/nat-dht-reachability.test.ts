import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DhtReachability } from '../../src/nat/dht-reachability.js';

describe('DhtReachability (BEP 43)', () => {
  it('turns read-only when no query came within the grace period behind a NAT that maps nothing', () => {
    const r = new DhtReachability({ graceMs: 1000 });
    r.bootstrapped(0, 2);
    assert.equal(r.check(999, 2, 'cone'), undefined);
    assert.equal(r.check(1000, 2, 'cone'), true);
    assert.equal(r.readOnly, true);
  });

  it('stays a full node when a query reached it, or when its port is open', () => {
    const a = new DhtReachability({ graceMs: 1000 });
    a.bootstrapped(0, 0);
    assert.equal(a.check(5000, 1, 'symmetric'), undefined);
    const b = new DhtReachability({ graceMs: 1000 });
    b.bootstrapped(0, 0);
    assert.equal(b.check(5000, 0, 'open'), undefined);
    assert.equal(b.readOnly, false);
  });

  it('becomes a full node again when a mapping opens the port, or when a query reaches it while read-only', () => {
    const r = new DhtReachability({ graceMs: 1000 });
    r.bootstrapped(0, 0);
    assert.equal(r.check(1000, 0, 'unknown'), true);
    assert.equal(r.check(2000, 0, 'open'), false);
    assert.equal(r.check(3000, 0, 'cone'), true, 'the mapping went and still nobody queried us');
    assert.equal(r.check(4000, 1, 'cone'), false, 'a query reached us: someone can');
  });

  it('never judges before bootstrap', () => {
    const r = new DhtReachability({ graceMs: 0 });
    assert.equal(r.check(10_000, 0, 'symmetric'), undefined);
  });
});
