import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PexHub, type PexMember } from '../../src/swarm/pex.js';
import { transportOf } from '../../src/transport/dual-streams.js';
import { PEX_FLAG_HOLEPUNCH, PEX_FLAG_REACHABLE, PEX_FLAG_SEED, PEX_FLAG_UTP, UT_HOLEPUNCH, UT_PEX, decodePex, encodePex, type ExtendedHandshake, type PexMessage } from '../../src/wire/index.js';

const ext = (p?: number, pex = true): ExtendedHandshake => ({ m: new Map([[UT_PEX, pex ? 1 : 0]]), p });
const incoming = (host: string, sourcePort: number, p?: number): PexMember => ({ address: { host, port: sourcePort }, incoming: true, isSeed: false, extended: ext(p) });
const outgoing = (host: string, port: number, seed = false): PexMember => ({ address: { host, port }, incoming: false, isSeed: seed, extended: ext(6881) });
const hub = (options?: ConstructorParameters<typeof PexHub<PexMember>>[1]) => new PexHub<PexMember>((m) => m, options);
const added = (out: [PexMember, PexMessage][], to: PexMember) => out.find(([p]) => p === to)?.[1].added.map((a) => `${a.host}:${a.port}`);

describe('PexHub (BEP 11, Shoal as the hub)', () => {
  it('introduces two leechers that dialled us at their listen ports, never their source ports or themselves', () => {
    const h = hub();
    const a = incoming('127.0.0.2', 50001, 6882);
    const b = incoming('127.0.0.3', 50002, 6883);
    let out = h.poll([a], 0);
    assert.deepEqual(out, [], 'nothing to tell the only peer, not even its own address');
    out = h.poll([a, b], 1000);
    assert.deepEqual(added(out, b), ['127.0.0.2:6882'], 'a late joiner gets the full list at once');
    assert.deepEqual(added(out, a), ['127.0.0.3:6883'], 'a had no message yet: its first one goes out now');
  });

  it('tells an earlier peer of a later one at its next interval, and the later one at once', () => {
    const h = hub({ intervalMs: 60_000 });
    const a = incoming('127.0.0.2', 50001, 6882);
    const c = outgoing('127.0.0.9', 7000);
    assert.deepEqual(added(h.poll([a, c], 0), a), ['127.0.0.9:7000']);
    const b = incoming('127.0.0.3', 50002, 6883);
    const soon = h.poll([a, b, c], 1000);
    assert.deepEqual(added(soon, b), ['127.0.0.2:6882', '127.0.0.9:7000']);
    assert.equal(added(soon, a), undefined, 'a waits for its interval');
    assert.deepEqual(added(h.poll([a, b, c], 60_000), a), ['127.0.0.3:6883']);
  });

  it('lists a peer that dialled us without a listen port nowhere, and flags seeds and reachable peers', () => {
    const h = hub();
    const quiet = incoming('127.0.0.4', 50003);
    const seed = outgoing('127.0.0.5', 7001, true);
    const r = outgoing('127.0.0.6', 7002);
    const out = h.poll([quiet, seed, r], 0);
    const toQuiet = out.find(([p]) => p === quiet)?.[1].added;
    assert.deepEqual(toQuiet, [{ host: '127.0.0.5', port: 7001, flags: PEX_FLAG_SEED | PEX_FLAG_REACHABLE }, { host: '127.0.0.6', port: 7002, flags: PEX_FLAG_REACHABLE }]);
    assert.deepEqual(added(out, r), ['127.0.0.5:7001']);
  });

  it('sends nothing to a peer that does not take ut_pex, and does not use up its first message', () => {
    const h = hub();
    const other = outgoing('127.0.0.5', 7001);
    const late: PexMember = { address: { host: '127.0.0.7', port: 7003 }, incoming: false, isSeed: false, extended: undefined };
    assert.equal(added(h.poll([late, other], 0), late), undefined);
    const ready = { ...late, extended: ext(7003) };
    assert.deepEqual(added(h.poll([ready, other], 1000), ready), ['127.0.0.5:7001']);
  });

  it('puts at most 50 peers in one message and the rest in the next (BEP 11)', () => {
    const h = hub({ intervalMs: 60_000 });
    const many = Array.from({ length: 70 }, (_, i) => outgoing(`10.0.${i >> 8}.${i & 255}`, 7000));
    const newcomer = incoming('127.0.0.8', 50009, 6889);
    const first = h.poll([...many, newcomer], 0).find(([p]) => p === newcomer)?.[1];
    assert.equal(first?.added.length, 50);
    const second = h.poll([...many, newcomer], 60_000).find(([p]) => p === newcomer)?.[1];
    assert.equal(second?.added.length, 20);
    assert.equal(new Set([...first!.added, ...second!.added].map((a) => a.host)).size, 70);
  });

  it('sets 0x04 on the wire for a peer connected over uTP, even one that dialled us, wrapped in encryption', () => {
    const h = hub();
    // The swarm's view of a uTP stream under MSE (EncryptedStream keeps the uTP stream as `inner`).
    const stream = { inner: { transport: 'utp' } };
    assert.equal(transportOf(stream), 'utp');
    const punched: PexMember = { address: { host: '10.88.2.1', port: 6881 }, incoming: true, isSeed: true, extended: { m: new Map([[UT_PEX, 1], [UT_HOLEPUNCH, 4]]) }, utp: transportOf(stream) === 'utp' };
    const tcp = outgoing('127.0.0.6', 7002);
    const out = h.poll([punched, tcp], 0);
    const message = out.find(([p]) => p === tcp)?.[1];
    assert.ok(message);
    const onWire = decodePex(encodePex(message));
    assert.deepEqual(onWire.added, [{ host: '10.88.2.1', port: 6881, flags: PEX_FLAG_SEED | PEX_FLAG_UTP | PEX_FLAG_HOLEPUNCH }], 'listed at its uTP endpoint with seed, uTP and ut_holepunch');
    assert.equal(added(out, punched)?.length, 1);
    assert.equal(out.find(([p]) => p === punched)?.[1].added[0].flags, PEX_FLAG_REACHABLE, 'a TCP peer never seen over uTP gets no 0x04');
  });

  it('keeps 0x04 for an endpoint that spoke uTP to us before when it comes back over TCP, for at most maxUtpRemembered endpoints', () => {
    const h = hub({ intervalMs: 1000, maxUtpRemembered: 2 });
    const listener = outgoing('127.0.0.2', 7000);
    const overUtp = { ...outgoing('127.0.0.3', 7000), utp: true };
    h.poll([listener, overUtp], 0);
    const overTcp = outgoing('127.0.0.3', 7000); // reconnected over TCP (uTP lost, or it dialled TCP)
    const newcomer = incoming('127.0.0.4', 50004, 6884);
    const flagsFor = (out: [PexMember, PexMessage][], to: PexMember, host: string) => out.find(([p]) => p === to)?.[1].added.find((a) => a.host === host)?.flags;
    assert.equal(flagsFor(h.poll([listener, overTcp, newcomer], 1000), newcomer, '127.0.0.3'), PEX_FLAG_REACHABLE | PEX_FLAG_UTP);
    // Two other uTP endpoints push it out of memory.
    h.poll([{ ...outgoing('127.0.0.8', 1), utp: true }, { ...outgoing('127.0.0.9', 1), utp: true }], 2000);
    const late = incoming('127.0.0.5', 50005, 6885);
    assert.equal(flagsFor(h.poll([listener, overTcp, late], 3000), late, '127.0.0.3'), PEX_FLAG_REACHABLE);
  });

  it('tells a peer again of one whose ut_holepunch it learnt after listing it', () => {
    const h = hub({ intervalMs: 1000 });
    const a = outgoing('127.0.0.2', 7000);
    const b: PexMember = { address: { host: '127.0.0.3', port: 7000 }, incoming: false, isSeed: false, extended: undefined, utp: true };
    assert.deepEqual(h.poll([a, b], 0).find(([p]) => p === a)?.[1].added, [{ host: '127.0.0.3', port: 7000, flags: PEX_FLAG_REACHABLE | PEX_FLAG_UTP }], 'before b\'s extended handshake');
    const withExt = { ...b, extended: { m: new Map([[UT_HOLEPUNCH, 4]]) } };
    assert.deepEqual(h.poll([a, withExt], 1000).find(([p]) => p === a)?.[1].added, [{ host: '127.0.0.3', port: 7000, flags: PEX_FLAG_REACHABLE | PEX_FLAG_UTP | PEX_FLAG_HOLEPUNCH }]);
  });

  it('reports a peer that left as dropped, and forgets the state of a recipient that left', () => {
    const h = hub({ intervalMs: 1000 });
    const a = outgoing('127.0.0.2', 7000);
    const b = outgoing('127.0.0.3', 7000);
    h.poll([a, b], 0);
    const out = h.poll([a], 1000);
    assert.deepEqual(out.find(([p]) => p === a)?.[1].dropped, [{ host: '127.0.0.3', port: 7000 }]);
    assert.deepEqual(added(h.poll([a, b], 2000), b), ['127.0.0.2:7000'], 'b, back, gets the full list again');
  });

  it('a peer with nothing new hears of a change at the next poll after it: a peer that turns seed in place, or a new peer', () => {
    // The hub skips the diff for a recipient that had no news while nothing changed; a change
    // made to the member in place (the swarm's views are fresh objects, a test's may not be) still counts.
    const h = hub({ intervalMs: 60_000 });
    const a = outgoing('127.0.0.2', 7000), b = outgoing('127.0.0.3', 7000);
    h.poll([a, b], 0);
    for (let t = 60_000; t <= 65_000; t += 1000) assert.deepEqual(h.poll([a, b], t), [], `nothing new at ${t} ms`);
    (b as { isSeed: boolean }).isSeed = true;
    const out = h.poll([a, b], 66_000);
    assert.deepEqual(out.find(([p]) => p === a)?.[1].added, [{ host: '127.0.0.3', port: 7000, flags: PEX_FLAG_SEED | PEX_FLAG_REACHABLE }]);
    assert.deepEqual(h.poll([a, b], 67_000), [], 'a was just told; b has nothing new (a did not change)');
    const c = outgoing('127.0.0.4', 7000);
    const later = h.poll([a, b, c], 127_000);
    assert.deepEqual(added(later, b), ['127.0.0.4:7000'], 'b, quiet since 60 s, hears of c');
    assert.deepEqual(added(later, a), ['127.0.0.4:7000']);
  });
});
