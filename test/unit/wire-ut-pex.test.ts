import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '../../src/bencode/encode.js';
import { bytesToIp, ipToBytes } from '../../src/wire/compact.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { addressKey } from '../../src/util/address-key.js';
import {
  PEX_FLAG_HOLEPUNCH, PEX_FLAG_REACHABLE, PEX_FLAG_SEED, PEX_FLAG_UTP, PexState, decodePex, encodePex, type PexPeer,
} from '../../src/wire/ut-pex.js';

const peer = (i: number, flags = 0): PexPeer => ({ host: `10.0.${i >> 8}.${i & 255}`, port: 6881, flags });

describe('wire compact addresses', () => {
  it('converts IPv4 and IPv6 literals to bytes and back canonically', () => {
    assert.deepEqual(ipToBytes('1.2.3.4'), Uint8Array.from([1, 2, 3, 4]));
    for (const [inp, out] of [['2001:db8::1', '2001:db8::1'], ['::', '::'], ['::1', '::1'], ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['fe80::1:2', 'fe80::1:2'], ['::ffff:1.2.3.4', '::ffff:102:304']]) {
      const b = ipToBytes(inp);
      assert.ok(b && b.length === 16, inp);
      assert.equal(bytesToIp(b), out);
    }
    assert.equal(ipToBytes('example.org'), undefined);
  });
});

describe('wire ut_pex (BEP 11)', () => {
  it('round-trips IPv4 and IPv6 peers with their flags', () => {
    const m = {
      added: [{ host: '1.2.3.4', port: 6881, flags: PEX_FLAG_SEED | PEX_FLAG_UTP }, { host: '2001:db8::5', port: 51413, flags: PEX_FLAG_REACHABLE }],
      dropped: [{ host: '5.6.7.8', port: 1 }, { host: 'fe80::9', port: 2 }],
    };
    const d = decodePex(encodePex(m));
    assert.deepEqual(d.added, m.added);
    assert.deepEqual(d.dropped, m.dropped);
    assert.equal(d.truncated, false);
  });

  it('writes the BEP 11 keys: added, added.f, added6, added6.f, dropped, dropped6', () => {
    const b = Buffer.from(encodePex({ added: [peer(1)], dropped: [] })).toString('latin1');
    assert.match(b, /^d5:added6:.{6}7:added\.f1:.6:added60:8:added6\.f0:7:dropped0:8:dropped60:e$/s);
  });

  it('encodes exactly what the general bencode encoder gives for the same six keys', () => {
    const v4 = (i: number): PexPeer => ({ host: `192.168.${i >> 8}.${i & 255}`, port: 1024 + i * 7, flags: i & 0x1f });
    const v6 = (i: number): PexPeer => ({ host: `fd00::${i.toString(16)}`, port: 40000 + i, flags: (i * 3) & 0x1f });
    for (const [na, n6, nd, nd6] of [[0, 0, 0, 0], [1, 0, 0, 0], [50, 0, 50, 0], [3, 4, 0, 2], [0, 9, 0, 0], [12, 12, 12, 12]]) {
      const added = [...Array.from({ length: na }, (_, i) => v4(i)), ...Array.from({ length: n6 }, (_, i) => v6(i))];
      const dropped = [...Array.from({ length: nd }, (_, i) => v4(i + 100)), ...Array.from({ length: nd6 }, (_, i) => v6(i + 100))];
      const compact = (ps: readonly PexPeer[]): Uint8Array => Uint8Array.from(ps.flatMap((p) => [...ipToBytes(p.host)!, p.port >> 8, p.port & 255]));
      const a4 = added.filter((p) => !p.host.includes(':')), a6 = added.filter((p) => p.host.includes(':'));
      const expected = encode({
        added: compact(a4), 'added.f': Uint8Array.from(a4.map((p) => p.flags)),
        added6: compact(a6), 'added6.f': Uint8Array.from(a6.map((p) => p.flags)),
        dropped: compact(dropped.filter((p) => !p.host.includes(':'))), dropped6: compact(dropped.filter((p) => p.host.includes(':'))),
      });
      assert.deepEqual(encodePex({ added, dropped }), expected, `${na}/${n6} added, ${nd}/${nd6} dropped`);
    }
  });

  it('treats missing or mismatched flags as zero', () => {
    const compact = Uint8Array.from([1, 2, 3, 4, 0x1a, 0xe1, 5, 6, 7, 8, 0, 80]);
    const d = decodePex(encode({ added: compact, 'added.f': Uint8Array.from([2]) }));
    assert.deepEqual(d.added.map((p) => p.flags), [0, 0]);
  });

  it('rejects compact strings that are not whole entries', () => {
    for (const payload of [encode({ added: new Uint8Array(7) }), encode({ dropped6: new Uint8Array(17) }), encode({ added: 5 }), encode([1]), Uint8Array.from([0x64])]) {
      assert.throws(() => decodePex(payload), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'bad_pex');
    }
  });

  it('keeps at most maxPeers added and dropped, and says so', () => {
    const added = Array.from({ length: 300 }, (_, i) => peer(i));
    const d = decodePex(encodePex({ added, dropped: added }), { maxPeers: 200 });
    assert.equal(d.added.length, 200);
    assert.equal(d.dropped.length, 200);
    assert.equal(d.truncated, true);
  });

  it('rejects a message over maxMessageSize', () => {
    const payload = encodePex({ added: Array.from({ length: 100 }, (_, i) => peer(i)), dropped: [] });
    assert.throws(() => decodePex(payload, { maxMessageSize: 100 }), PeerProtocolError);
  });

  it('reads each added entry\'s key, port and flags off the compact lists, as the built entries give them', () => {
    const added = [
      { host: '255.254.0.1', port: 65535, flags: PEX_FLAG_SEED },
      { host: '10.0.0.7', port: 6881, flags: PEX_FLAG_HOLEPUNCH },
      { host: '0.0.0.0', port: 1, flags: 0 },
      { host: 'fd00::42', port: 51413, flags: PEX_FLAG_UTP },
    ];
    const d = decodePex(encodePex({ added, dropped: [] }));
    assert.equal(d.addedCount, 4);
    for (let i = 0; i < d.addedCount; i++) {
      assert.deepEqual(d.addedPeer(i), added[i]);
      assert.equal(d.addedKey(i), addressKey(added[i]), added[i].host);
      assert.equal(d.addedPort(i), added[i].port);
      assert.equal(d.addedFlags(i), added[i].flags);
    }
    const dropped = [{ host: '10.1.2.3', port: 80 }, { host: 'fd00::7', port: 6881 }];
    const dd = decodePex(encodePex({ added: [], dropped }));
    assert.equal(dd.droppedCount, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(dd.droppedKey(i), addressKey(dropped[i]));
      assert.equal(dd.droppedPort(i), dropped[i].port);
    }
    // Port 0 stays numbered (0 tells the reader to skip it) but is not in `added`.
    const z = decodePex(encode({ added: Uint8Array.from([1, 2, 3, 4, 0, 0, 1, 2, 3, 5, 0, 9]), 'added.f': Uint8Array.from([4, 2]) }));
    assert.equal(z.addedCount, 2);
    assert.equal(z.addedPort(0), 0);
    assert.deepEqual(z.added, [{ host: '1.2.3.5', port: 9, flags: 2 }]);
  });

  it('skips entries with port 0', () => {
    const d = decodePex(encode({ added: Uint8Array.from([1, 2, 3, 4, 0, 0]) }));
    assert.equal(d.added.length, 0);
  });
});

describe('wire PexState', () => {
  it('sends the diff of connected peers since the last message', () => {
    const s = new PexState();
    const first = s.poll([peer(1), peer(2)], 0);
    assert.deepEqual(first?.added.map((p) => p.host), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(first?.dropped, []);
    const second = s.poll([peer(2), peer(3)], 60_000);
    assert.deepEqual(second?.added.map((p) => p.host), ['10.0.0.3']);
    assert.deepEqual(second?.dropped, [{ host: '10.0.0.1', port: 6881 }]);
  });

  it('sends at most one message per interval and nothing when nothing changed', () => {
    const s = new PexState({ intervalMs: 60_000 });
    assert.ok(s.poll([peer(1)], 1000));
    assert.equal(s.poll([peer(1), peer(2)], 30_000), undefined, 'too early');
    assert.equal(s.nextDeadline(), 61_000);
    assert.ok(s.poll([peer(1), peer(2)], 61_000));
    assert.equal(s.poll([peer(1), peer(2)], 200_000), undefined, 'no change');
  });

  it('caps added and dropped at 50 per message and sends the rest later', () => {
    const s = new PexState();
    const many = Array.from({ length: 120 }, (_, i) => peer(i));
    assert.equal(s.poll(many, 0)?.added.length, 50);
    assert.equal(s.poll(many, 60_000)?.added.length, 50);
    assert.equal(s.poll(many, 120_000)?.added.length, 20);
    const gone = s.poll([], 180_000);
    assert.equal(gone?.dropped.length, 50);
  });

  it('lists a peer again when its flags changed since it was told (a seed, uTP or ut_holepunch learnt later)', () => {
    const s = new PexState({ intervalMs: 60_000 });
    s.poll([{ host: '10.0.0.1', port: 6881, flags: PEX_FLAG_REACHABLE }], 0);
    const later = s.poll([{ host: '10.0.0.1', port: 6881, flags: PEX_FLAG_REACHABLE | PEX_FLAG_UTP | PEX_FLAG_HOLEPUNCH }], 60_000);
    assert.deepEqual(later, { added: [{ host: '10.0.0.1', port: 6881, flags: PEX_FLAG_REACHABLE | PEX_FLAG_UTP | PEX_FLAG_HOLEPUNCH }], dropped: [] });
    assert.equal(s.poll([{ host: '10.0.0.1', port: 6881, flags: PEX_FLAG_REACHABLE | PEX_FLAG_UTP | PEX_FLAG_HOLEPUNCH }], 120_000), undefined, 'the same flags again: nothing');
  });

  it('never drops a peer it did not add', () => {
    const s = new PexState({ maxAdded: 1 });
    s.poll([peer(1), peer(2)], 0); // only peer 1 told
    const m = s.poll([], 60_000);
    assert.deepEqual(m?.dropped, [{ host: '10.0.0.1', port: 6881 }]);
  });
});
