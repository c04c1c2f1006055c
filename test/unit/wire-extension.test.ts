import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '../../src/bencode/encode.js';
import type { Encodable } from '../../src/bencode/types.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import {
  DEFAULT_LOCAL_EXTENSIONS, EXTENSION_MAP_CACHE_LIMIT, ExtensionRegistry, UT_METADATA, UT_PEX, decodeExtendedHandshake, encodeExtendedHandshake,
  keptPayloadBytes, sharedExtensionMaps,
} from '../../src/wire/extension.js';

const text = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('wire extended handshake (BEP 10)', () => {
  it('round-trips m, v, p, yourip, reqq, metadata_size and upload_only', () => {
    const h = {
      m: new Map([[UT_METADATA, 2], [UT_PEX, 1]]),
      v: 'Shoal 0.1.0',
      p: 6881,
      yourip: Uint8Array.from([10, 0, 0, 1]),
      reqq: 250,
      metadataSize: 31235,
      uploadOnly: true,
    };
    const d = decodeExtendedHandshake(encodeExtendedHandshake(h));
    assert.deepEqual(d.m, h.m);
    assert.equal(d.v, h.v);
    assert.equal(d.p, 6881);
    assert.deepEqual(d.yourip, h.yourip);
    assert.equal(d.reqq, 250);
    assert.equal(d.metadataSize, 31235);
    assert.equal(d.uploadOnly, true);
  });

  it('gives every peer the bytes of a full encode when only yourip differs (the rest encoded once)', () => {
    const base = { m: new Map([[UT_PEX, 1], [UT_METADATA, 2]]), v: 'Shoal 0.1.0', p: 6881, reqq: 250, metadataSize: 1234 };
    // An empty raw dict takes the general encoder: the oracle.
    const full = (h: Parameters<typeof encodeExtendedHandshake>[0]) => encodeExtendedHandshake({ ...h, raw: new Map() });
    const cases = [
      { ...base, yourip: Uint8Array.from([10, 0, 0, 1]) },
      { ...base, yourip: Uint8Array.from([10, 0, 0, 2]) },
      { ...base, yourip: new Uint8Array(16).fill(0xfd) },
      { ...base, uploadOnly: true, yourip: Uint8Array.from([10, 0, 0, 3]) },
      { ...base, m: new Map([[UT_PEX, 1], [UT_METADATA, 3]]), yourip: Uint8Array.from([10, 0, 0, 4]) },
      { ...base, metadataSize: undefined, yourip: Uint8Array.from([10, 0, 0, 5]) },
    ];
    for (const h of cases) {
      assert.deepEqual(encodeExtendedHandshake(h), full(h));
      assert.deepEqual(decodeExtendedHandshake(encodeExtendedHandshake(h)).yourip, h.yourip);
    }
    // Bodies alternating (a seed's and a leecher's, as a swarm sees them) come from the cache in any order.
    for (let round = 0; round < 3; round++) for (const h of [cases[3], cases[0], cases[4], cases[5], cases[3], cases[1], cases[2]]) assert.deepEqual(encodeExtendedHandshake(h), full(h));
    // A bad id is refused even right after the same fields with good ids were encoded.
    assert.throws(() => encodeExtendedHandshake({ ...base, m: new Map([[UT_PEX, 1], [UT_METADATA, 256]]), yourip: Uint8Array.from([10, 0, 0, 6]) }), RangeError);
  });

  it('reads the BEP 10 example and ignores unknown keys', () => {
    const d = decodeExtendedHandshake(text('d1:md11:LT_metadatai1e6:\xb5T_PEXi2ee1:pi6881e1:v13:\xc2\xb5Torrent 1.21:xi9ee'));
    assert.equal(d.m.get('LT_metadata'), 1);
    assert.equal(d.p, 6881);
    assert.equal(d.v, 'µTorrent 1.2');
    assert.equal(d.raw?.has('x'), true);
  });

  it('tolerates unsorted keys and wrongly typed known keys (as libtorrent does)', () => {
    const d = decodeExtendedHandshake(text('d1:v3:abc1:md1:zi1e1:ai300e1:b3:xyze1:pi-5e4:reqq3:lot6:yourip3:abce'));
    assert.equal(d.v, 'abc');
    assert.deepEqual([...d.m], [['z', 1]], 'ids over 255 and non-integers are dropped');
    assert.equal(d.p, undefined);
    assert.equal(d.reqq, undefined);
    assert.equal(d.yourip, undefined);
  });

  it('keeps nothing of the buffer it read: yourip, ipv4, ipv6 and raw survive the receive buffer being reused', () => {
    const payload = Buffer.from(encode(new Map<string, unknown>([
      ['ipv4', Uint8Array.from([192, 168, 1, 2])], ['ipv6', new Uint8Array(16).fill(0xfd)], ['m', new Map([['ut_pex', 1]])],
      ['x_custom', Uint8Array.from([1, 2, 3])], ['yourip', Uint8Array.from([10, 0, 0, 9])],
    ]) as Parameters<typeof encode>[0]));
    const d = decodeExtendedHandshake(payload);
    payload.fill(0x41); // the connection's next read lands in the same buffer
    assert.deepEqual(d.yourip, Uint8Array.from([10, 0, 0, 9]));
    assert.deepEqual(d.ipv4, Uint8Array.from([192, 168, 1, 2]));
    assert.deepEqual(d.ipv6, new Uint8Array(16).fill(0xfd));
    assert.deepEqual(d.raw?.get('x_custom'), Uint8Array.from([1, 2, 3]));
    assert.equal(d.raw, d.raw, 'decoded once');
    assert.equal(d.m.get('ut_pex'), 1);
  });

  it('rejects a payload that is not a dictionary or not bencode', () => {
    for (const s of ['i1e', 'le', 'd1:m', 'garbage']) {
      assert.throws(() => decodeExtendedHandshake(text(s)), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'bad_extension_message', s);
    }
  });

  it('rejects a handshake over maxHandshakeSize', () => {
    const big = encode({ m: {}, pad: new Uint8Array(2000) });
    assert.throws(() => decodeExtendedHandshake(big, { maxHandshakeSize: 1000 }), PeerProtocolError);
    assert.ok(decodeExtendedHandshake(big, { maxHandshakeSize: 4000 }));
  });

  it('keeps at most maxExtensions names and drops names over maxNameLength', () => {
    const m: Record<string, number> = {};
    for (let i = 0; i < 50; i++) m[`ext${String(i).padStart(2, '0')}`] = i + 1;
    m['x'.repeat(300)] = 200;
    const d = decodeExtendedHandshake(encode({ m }), { maxExtensions: 10 });
    assert.equal(d.m.size, 10);
    const e = decodeExtendedHandshake(encode({ m }), { maxNameLength: 256 });
    assert.equal(e.m.has('x'.repeat(300)), false);
  });
});

describe('wire extension registry (BEP 10 ids)', () => {
  it('maps incoming ids by our table and outgoing ids by the peer table', () => {
    const r = new ExtensionRegistry();
    assert.equal(r.localName(DEFAULT_LOCAL_EXTENSIONS.get(UT_METADATA) as number), UT_METADATA);
    assert.equal(r.remoteId(UT_METADATA), undefined);
    r.applyRemote(new Map([[UT_METADATA, 3], ['lt_donthave', 7]]));
    assert.equal(r.remoteId(UT_METADATA), 3);
    assert.equal(r.supports(UT_METADATA), true);
    assert.equal(r.supports('lt_donthave'), false, 'we do not speak it');
  });

  it('applies later handshakes additively; id 0 disables', () => {
    const r = new ExtensionRegistry();
    r.applyRemote(new Map([[UT_METADATA, 3], [UT_PEX, 4]]));
    r.applyRemote(new Map([[UT_PEX, 0]]));
    assert.equal(r.remoteId(UT_METADATA), 3);
    assert.equal(r.remoteId(UT_PEX), undefined);
  });

  it('refuses local tables with id 0, ids over 255 or duplicates', () => {
    assert.throws(() => new ExtensionRegistry(new Map([['a', 0]])), RangeError);
    assert.throws(() => new ExtensionRegistry(new Map([['a', 256]])), RangeError);
    assert.throws(() => new ExtensionRegistry(new Map([['a', 1], ['b', 1]])), RangeError);
  });

  it('keeps one m per content: peers sending the same m share it, and the registry uses it until a later handshake changes it', () => {
    const send = (p: number, m: Map<string, number>) => decodeExtendedHandshake(encodeExtendedHandshake({ m, p, v: 'Shoal', yourip: Uint8Array.from([10, 0, 0, p % 256]) }));
    const a = send(6881, new Map([[UT_METADATA, 2], [UT_PEX, 1]]));
    const b = send(6882, new Map([[UT_METADATA, 2], [UT_PEX, 1]]));
    assert.equal(a.m, b.m, 'one map for both');
    assert.notEqual(send(6883, new Map([[UT_METADATA, 3], [UT_PEX, 1]])).m, a.m);
    const r = new ExtensionRegistry();
    r.applyRemote(a.m);
    assert.equal(r.remoteId(UT_PEX), 1);
    r.applyRemote(new Map([[UT_PEX, 0], ['lt_donthave', 7]]));
    assert.equal(r.remoteId(UT_PEX), undefined);
    assert.equal(r.remoteId('lt_donthave'), 7);
    assert.deepEqual([...a.m], [[UT_METADATA, 2], [UT_PEX, 1]], 'the shared map is never written');
    // A first m that disables something is applied as before (0 removes).
    const z = new ExtensionRegistry();
    z.applyRemote(new Map([[UT_PEX, 0], [UT_METADATA, 2]]));
    assert.equal(z.supports(UT_PEX), false);
    assert.equal(z.remoteId(UT_METADATA), 2);
  });

  it('bounds the shared maps: peers sending ever new m cannot grow the table past its limit', () => {
    for (let i = 0; i < EXTENSION_MAP_CACHE_LIMIT * 3; i++) {
      decodeExtendedHandshake(encode(new Map<string, Encodable>([['m', new Map([[`x_${i}`, 1]])]])));
      assert.ok(sharedExtensionMaps() <= EXTENSION_MAP_CACHE_LIMIT, `${sharedExtensionMaps()} maps`);
    }
  });

  it('keeps no copy of a payload its fields encode back to; raw is the same dict either way', () => {
    const bytes = encodeExtendedHandshake({ m: new Map([[UT_METADATA, 2], [UT_PEX, 1]]), v: 'Shoal 0.1.0', p: 6881, reqq: 250, metadataSize: 9, uploadOnly: false, yourip: Uint8Array.from([1, 2, 3, 4]) });
    const d = decodeExtendedHandshake(bytes);
    assert.equal(keptPayloadBytes(d), 0);
    assert.deepEqual(d.raw, decodeExtendedHandshake(Uint8Array.from(bytes)).raw);
    assert.deepEqual([...(d.raw?.keys() ?? [])], ['m', 'metadata_size', 'p', 'reqq', 'upload_only', 'v', 'yourip']);
    // Unknown keys, values the fields do not keep as sent, unsorted keys: the payload is kept.
    for (const odd of [
      encode(new Map<string, Encodable>([['m', new Map()], ['x', 1]])),
      encode(new Map<string, Encodable>([['m', new Map()], ['upload_only', 5]])),
      Uint8Array.from(Buffer.from('d1:pi1e1:mdee', 'latin1')),
    ]) {
      const h = decodeExtendedHandshake(odd);
      assert.equal(keptPayloadBytes(h), odd.length);
      assert.deepEqual(h.raw, decodeExtendedHandshake(Uint8Array.from(odd)).raw);
    }
  });
});
