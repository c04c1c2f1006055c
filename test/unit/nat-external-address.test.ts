import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExternalAddress, type ExternalAddressEvent } from '../../src/nat/external-address.js';

function voter(options: ConstructorParameters<typeof ExternalAddress>[0] = {}): { v: ExternalAddress; events: ExternalAddressEvent[] } {
  const events: ExternalAddressEvent[] = [];
  return { v: new ExternalAddress(options, (e) => events.push(e)), events };
}

describe('ExternalAddress vote', () => {
  it('decides once an address weighs minWeight, and says so in one event', () => {
    const { v, events } = voter();
    v.vote({ source: 'peer', reporter: '10.0.0.1', host: '172.16.5.5' });
    v.vote({ source: 'peer', reporter: '10.0.0.2', host: '172.16.5.5' });
    assert.equal(v.host, undefined);
    v.vote({ source: 'dht', reporter: '10.0.0.3', host: '172.16.5.5' });
    assert.equal(v.host, '172.16.5.5');
    assert.deepEqual(events.filter((e) => e.type === 'external-address'), [{ type: 'external-address', host: '172.16.5.5', previous: undefined }]);
  });

  it('gives one vote per reporter IP: a peer repeating itself (or reconnecting) cannot decide alone', () => {
    const { v } = voter();
    for (let i = 0; i < 50; i++) v.vote({ source: 'peer', reporter: '10.0.0.66', host: '172.16.6.6' });
    assert.equal(v.host, undefined);
    assert.equal(v.size, 1);
  });

  it('weighs a tracker double and the gateway\'s port mapping above everyone', () => {
    const { v } = voter();
    v.vote({ source: 'tracker', reporter: '10.9.0.1', host: '172.16.1.1' });
    v.vote({ source: 'peer', reporter: '10.0.0.1', host: '172.16.1.1' });
    assert.equal(v.host, '172.16.1.1');
    for (let i = 1; i <= 5; i++) v.vote({ source: 'peer', reporter: `10.0.1.${i}`, host: '172.16.2.2' });
    assert.equal(v.host, '172.16.2.2', 'five peers outweigh a tracker and a peer');
    v.vote({ source: 'port-mapping', reporter: '192.168.1.1', host: '172.16.3.3', port: 6881 });
    assert.equal(v.host, '172.16.3.3');
  });

  it('keeps at most maxReporters votes; the oldest go first', () => {
    const { v } = voter({ maxReporters: 8 });
    for (let i = 0; i < 100; i++) v.vote({ source: 'dht', reporter: `10.1.${i >> 8}.${i & 255}`, host: i < 50 ? '172.16.0.1' : '172.16.0.2' });
    assert.equal(v.size, 8);
    assert.equal(v.host, '172.16.0.2');
  });

  it('keeps a decided address through a tie and changes only for one that weighs more', () => {
    const { v, events } = voter();
    for (let i = 1; i <= 3; i++) v.vote({ source: 'peer', reporter: `10.0.0.${i}`, host: '172.16.0.1' });
    for (let i = 4; i <= 6; i++) v.vote({ source: 'peer', reporter: `10.0.0.${i}`, host: '172.16.0.2' });
    assert.equal(v.host, '172.16.0.1');
    v.vote({ source: 'peer', reporter: '10.0.0.7', host: '172.16.0.2' });
    assert.equal(v.host, '172.16.0.2');
    assert.deepEqual(events.filter((e) => e.type === 'external-address').map((e) => e.type === 'external-address' && e.previous), [undefined, '172.16.0.1']);
  });

  it('ignores a report that is not an IP literal', () => {
    const { v } = voter({ minWeight: 1 });
    v.vote({ source: 'peer', reporter: '10.0.0.1', host: 'evil.example' });
    assert.equal(v.host, undefined);
    assert.equal(v.size, 0);
  });
});

describe('ExternalAddress NAT type', () => {
  const dht = (v: ExternalAddress, i: number, port: number): void =>
    v.vote({ source: 'dht', reporter: `10.2.0.${i}`, host: '172.16.9.9', port, localPort: 6881 });

  it('is unknown until enough reporters saw a port', () => {
    const { v } = voter();
    dht(v, 1, 40000);
    dht(v, 2, 40000);
    assert.equal(v.natType, 'unknown');
  });

  it('is cone when every reporter sees our local port at one external port', () => {
    const { v, events } = voter();
    for (let i = 1; i <= 4; i++) dht(v, i, 40000);
    assert.equal(v.natType, 'cone');
    assert.deepEqual(events.find((e) => e.type === 'nat-type'), { type: 'nat-type', natType: 'cone', previous: 'unknown' });
  });

  it('is symmetric when reporters see one local port at different external ports', () => {
    const { v } = voter();
    for (let i = 1; i <= 4; i++) dht(v, i, 40000 + i);
    assert.equal(v.natType, 'symmetric');
  });

  it('is open when the decided address is one of ours, or a port mapping was made (and not after it is lost)', () => {
    const a = voter({ localHosts: ['172.16.9.9'] }).v;
    for (let i = 1; i <= 3; i++) dht(a, i, 6881);
    assert.equal(a.natType, 'open');
    const b = voter().v;
    for (let i = 1; i <= 4; i++) dht(b, i, 40000 + i);
    b.vote({ source: 'port-mapping', reporter: '192.168.1.1', host: '172.16.9.9', port: 6881 });
    assert.equal(b.natType, 'open');
    b.forgetPortMapping();
    assert.equal(b.natType, 'symmetric');
  });

  it('reports the votes by source in status()', () => {
    const { v } = voter();
    dht(v, 1, 1);
    v.vote({ source: 'tracker', reporter: '10.9.9.9', host: '172.16.9.9' });
    assert.deepEqual(v.status().votes, { peer: 0, dht: 1, tracker: 1, 'port-mapping': 0 });
  });
});
