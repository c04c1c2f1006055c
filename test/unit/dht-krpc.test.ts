import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode } from '../../src/bencode/index.js';
import { decodeKrpc, KRPC_LIMITS } from '../../src/dht/krpc.js';
import { encodeError, encodeQuery, encodeResponse, type QuerySpec } from '../../src/dht/krpc-encode.js';
import { KrpcDecodeError } from '../../src/dht/errors.js';
import { decodeNodes, encodeNodes, encodePeer, decodePeer, ipBytes, ipFromBytes, type Contact } from '../../src/dht/compact.js';

/** Decoded contacts are packed (address built on use): compare their id and address. */
const plain = (cs: readonly Contact[] | undefined) => cs?.map((c) => ({ id: c.id, address: c.address }));
import { idFromHex, idToHex } from '../../src/dht/node-id.js';

const ID = idFromHex('0123456789abcdef0123456789abcdef01234567');
const T = Uint8Array.of(0xaa, 0x01);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Encoders hand out Buffers (pooled); compare as plain bytes. */
const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b);

describe('KRPC codec', () => {
  const specs: QuerySpec[] = [
    { q: 'ping' },
    { q: 'find_node', target: ID, want: ['n4', 'n6'] },
    { q: 'get_peers', infoHash: ID },
    { q: 'announce_peer', infoHash: ID, port: 6881, impliedPort: true, token: text('tok'), seed: true },
    { q: 'get', target: ID, seq: 4 },
    { q: 'put', token: text('tok'), v: text('12:Hello World!'), k: new Uint8Array(32).fill(1), seq: 1, sig: new Uint8Array(64).fill(2), salt: text('foobar'), cas: 0 },
    { q: 'sample_infohashes', target: ID },
  ];

  for (const spec of specs) {
    it(`encodes ${spec.q} queries as canonical bencode that decodes back`, () => {
      const bytes = u8(encodeQuery(T, ID, spec, { readOnly: true, client: text('SH01') }));
      // The generic strict decoder rejects unsorted keys: the hand-ordered encoder must be sorted.
      const generic = decode(bytes) as Map<string, unknown>;
      assert.deepEqual(encode(generic as Map<string, never>), bytes);
      const m = decodeKrpc(bytes);
      assert.equal(m.kind, 'query');
      if (m.kind !== 'query') return;
      assert.equal(m.q, spec.q);
      assert.equal(m.id, ID);
      assert.equal(m.ro, true);
      assert.deepEqual(m.t, T);
      assert.deepEqual(m.client, text('SH01'));
    });
  }

  it('reads announce_peer, want and put fields', () => {
    const a = decodeKrpc(u8(encodeQuery(T, ID, specs[3])));
    assert.ok(a.kind === 'query' && a.q === 'announce_peer');
    assert.equal(a.impliedPort, true);
    assert.equal(a.port, 6881);
    assert.equal(a.seed, true);
    const f = decodeKrpc(u8(encodeQuery(T, ID, specs[1])));
    assert.ok(f.kind === 'query' && f.q === 'find_node');
    assert.deepEqual(f.want, [4, 6]);
    const p = decodeKrpc(u8(encodeQuery(T, ID, specs[5])));
    assert.ok(p.kind === 'query' && p.q === 'put');
    assert.deepEqual(p.item.v, text('12:Hello World!'));
    assert.equal(p.item.canonical, true);
    assert.equal(p.item.seq, 1);
    assert.equal(p.item.cas, 0);
    assert.deepEqual(p.item.salt, text('foobar'));
  });

  it('encodes responses with nodes, values, tokens, BEP 44 and BEP 51 fields', () => {
    const nodes = [{ id: ID, address: { host: '10.0.0.1', port: 6881 } }, { id: ID, address: { host: '192.168.1.2', port: 1 } }];
    const values = [encodePeer({ host: '1.2.3.4', port: 80 }) as Uint8Array];
    const bytes = u8(encodeResponse(T, ID, {
      interval: 60, k: new Uint8Array(32), nodes, num: 3, samples: new Uint8Array(40), seq: 7n, sig: new Uint8Array(64),
      token: text('abc'), v: text('i5e'), values,
    }, { host: '5.6.7.8', port: 999 }));
    decode(bytes); // strict: sorted keys
    const m = decodeKrpc(bytes);
    assert.ok(m.kind === 'response');
    assert.deepEqual(m.ip, { host: '5.6.7.8', port: 999 });
    assert.deepEqual(plain(m.nodes), nodes);
    assert.deepEqual(m.values, [{ host: '1.2.3.4', port: 80 }]);
    assert.equal(m.samples?.length, 2);
    assert.equal(m.num, 3);
    assert.equal(m.interval, 60);
    assert.equal(m.seq, 7);
    assert.deepEqual(m.v, text('i5e'));
  });

  it('encodes and decodes errors', () => {
    const m = decodeKrpc(u8(encodeError(T, 203, 'Protocol Error', { host: '1.1.1.1', port: 2 })));
    assert.ok(m.kind === 'error');
    assert.equal(m.code, 203);
    assert.equal(m.message, 'Protocol Error');
    assert.deepEqual(m.ip, { host: '1.1.1.1', port: 2 });
  });

  it('marks a put with unsorted keys in its value as not canonical', () => {
    const raw = text('d1:ad2:id20:' + 'x'.repeat(20) + '5:token1:a1:vd1:bi1e1:ai2eee1:q3:put1:t2:aa1:y1:qe');
    const m = decodeKrpc(raw);
    assert.ok(m.kind === 'query' && m.q === 'put');
    assert.equal(m.item.canonical, false);
  });

  it('answers unknown methods with a target like find_node (forward compatibility)', () => {
    const raw = text('d1:ad2:id20:' + 'x'.repeat(20) + '6:target20:' + 'y'.repeat(20) + 'e1:q9:frobnicat1:t2:aa1:y1:qe');
    const m = decodeKrpc(raw);
    assert.ok(m.kind === 'query' && m.q === 'unknown');
    assert.equal(m.method, 'frobnicat');
    assert.equal(m.target, 'y'.repeat(20));
  });

  it('rejects messages over maxMessageBytes', () => {
    const big = encodeQuery(T, ID, { q: 'put', token: text('t'), v: encode(new Uint8Array(2100)) });
    assert.throws(() => decodeKrpc(big), KrpcDecodeError);
    assert.throws(() => decodeKrpc(u8(encodeQuery(T, ID, { q: 'ping' })), { maxMessageBytes: 10 }), /over the limit/);
  });

  it('stops reading values past maxValues and nodes past maxNodes', () => {
    const values = Array.from({ length: 300 }, (_, i) => encodePeer({ host: `1.2.${i >> 8}.${i & 255}`, port: 1 }) as Uint8Array);
    const r = decodeKrpc(u8(encodeResponse(T, ID, { values })), { maxMessageBytes: 10_000 });
    assert.ok(r.kind === 'response');
    assert.equal(r.values?.length, KRPC_LIMITS.maxValues);
    const nodes = Array.from({ length: 50 }, (_, i) => ({ id: ID, address: { host: `1.2.3.${i + 1}`, port: 1 } }));
    const n = decodeKrpc(u8(encodeResponse(T, ID, { nodes })), { maxMessageBytes: 10_000, maxNodes: 10 });
    assert.ok(n.kind === 'response');
    assert.equal(n.nodes?.length, 10);
  });

  it('rejects nesting deeper than maxDepth', () => {
    const deep = 'l'.repeat(40) + 'e'.repeat(40);
    const raw = text(`d1:ad2:id20:${'x'.repeat(20)}5:token1:a1:v${deep}e1:q3:put1:t2:aa1:y1:qe`);
    assert.throws(() => decodeKrpc(raw), /nesting/);
  });

  it('keeps the transaction id in errors about fields, so an error reply can be sent', () => {
    const raw = text('d1:ad2:id3:abce1:q4:ping1:t2:zz1:y1:qe');
    try {
      decodeKrpc(raw);
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof KrpcDecodeError);
      assert.deepEqual(e.transactionId, text('zz'));
    }
  });

  const malformed = ['', 'i1e', 'd', 'de', 'd1:t2:aae', 'd1:t2:aa1:y1:xe', 'd1:t2:aa1:y1:qe', 'd1:t2:aa1:y1:re', 'd1:t02:aa1:y1:qe', 'd1:ti1e1:y1:qe', 'd1:t2:aa1:y1:qextra'];
  for (const m of malformed) {
    it(`rejects malformed message ${JSON.stringify(m)} with a KrpcDecodeError`, () => {
      assert.throws(() => decodeKrpc(text(m)), KrpcDecodeError);
    });
  }
});

describe('compact encodings', () => {
  it('round-trips IPv4 and IPv6 peers and nodes', () => {
    for (const host of ['1.2.3.4', '255.0.0.1', '2001:db8::1', '::1', 'fe80::1:2']) {
      const p = encodePeer({ host, port: 6881 }) as Uint8Array;
      assert.deepEqual(decodePeer(p), { host, port: 6881 });
    }
    const six = [{ id: ID, address: { host: '2001:db8::7', port: 1 } }];
    assert.deepEqual(plain(decodeNodes(encodeNodes(six, 6), 6)), six);
    assert.equal(encodeNodes(six, 4).length, 0);
  });

  it('parses IPv4 strictly', () => {
    assert.equal(ipBytes('1.2.3'), undefined);
    assert.equal(ipBytes('01.2.3.4'), undefined);
    assert.equal(ipBytes('256.2.3.4'), undefined);
    assert.deepEqual(ipBytes('0.0.0.0'), Uint8Array.of(0, 0, 0, 0));
    assert.equal(ipFromBytes(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 6), '::');
  });

  it('skips port-0 and partial node entries', () => {
    const bytes = encodeNodes([{ id: ID, address: { host: '1.1.1.1', port: 5 } }], 4);
    const withPartial = new Uint8Array([...bytes, 1, 2, 3]);
    assert.equal(decodeNodes(withPartial, 4).length, 1);
    assert.equal(idToHex(decodeNodes(withPartial, 4)[0].id), idToHex(ID));
    assert.equal(decodePeer(Uint8Array.of(1, 2, 3, 4, 0, 0)), undefined);
  });
});

describe('KRPC decode and the datagram it came in', () => {
  it('keeps no view of the datagram in a decoded message (a view would pin it, or its 8 KB pool slab)', () => {
    const nodes: Contact[] = [{ id: ID, address: { host: '10.0.0.9', port: 6881 } }];
    const data = u8(encodeResponse(T, ID, { nodes, token: text('tok') }, { host: '10.1.2.3', port: 6881 }, { client: text('SH01') }));
    const m = decodeKrpc(data);
    assert.equal(m.kind, 'response');
    if (m.kind !== 'response') return;
    data.fill(0); // the datagram's buffer is reused by whoever owns it
    assert.deepEqual([...m.t], [...T]);
    assert.deepEqual([...(m.client ?? [])], [...text('SH01')]);
    assert.deepEqual([...(m.token ?? [])], [...text('tok')]);
    assert.deepEqual(plain(m.nodes), nodes);
    assert.deepEqual(m.ip, { host: '10.1.2.3', port: 6881 });
  });

  it('encodes reply nodes given as compact node info as they are', () => {
    const compact = encodeNodes([{ id: ID, address: { host: '10.0.0.9', port: 6881 } }], 4);
    const m = decodeKrpc(u8(encodeResponse(T, ID, { nodes: compact })));
    assert.equal(m.kind, 'response');
    if (m.kind !== 'response') return;
    assert.deepEqual(plain(m.nodes), [{ id: ID, address: { host: '10.0.0.9', port: 6881 } }]);
  });
});

