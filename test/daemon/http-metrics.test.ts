/** /metrics: Prometheus text with Shoal's series, taken fresh from the service on every scrape. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './http-harness.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format (0.0.4): HELP/TYPE comments and samples. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    // prom-client writes NaN as "Nan"; Prometheus reads values with ParseFloat, which takes either.
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.e+-]+|NaN|Nan|[+-]Inf)(?: -?\d+)?$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('HTTP API: metrics', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.service.seed({ name: 'one', state: 'seeding' });
    h.service.seed({ name: 'two', state: 'seeding' });
    h.service.seed({ name: 'three', state: 'downloading', have: [] });
  });
  after(() => h.close());

  it('serves Prometheus text with the expected series and types', async () => {
    const r = await h.request('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(r.body.toString('utf8'));
    const expected: [string, string, Record<string, string>, number][] = [
      ['shoal_bytes_downloaded_total', 'counter', {}, 1234],
      ['shoal_bytes_uploaded_total', 'counter', {}, 567],
      ['shoal_peers', 'gauge', {}, 1],
      ['shoal_torrents', 'gauge', { state: 'seeding' }, 2],
      ['shoal_torrents', 'gauge', { state: 'downloading' }, 1],
      ['shoal_torrents', 'gauge', { state: 'error' }, 0],
      ['shoal_piece_hash_failures_total', 'counter', {}, 3],
      ['shoal_dht_nodes', 'gauge', {}, 42],
      ['shoal_dht_lookups_total', 'counter', {}, 12],
      ['shoal_tracker_announces_total', 'counter', { result: 'success' }, 5],
      ['shoal_tracker_announces_total', 'counter', { result: 'failure' }, 2],
      ['shoal_disk_queue_bytes', 'gauge', {}, 4096],
    ];
    for (const [name, type, labels, v] of expected) {
      assert.equal(types.get(name), type, name);
      assert.equal(value(samples, name, labels), v, `${name} ${JSON.stringify(labels)}`);
    }
    assert.equal(samples.filter((s) => s.name === 'shoal_torrents').length, 8, 'one series per state');
    assert.ok(value(samples, 'process_cpu_user_seconds_total') !== undefined, 'default process metrics');
  });

  it('reports port mapping per protocol and the external address', async () => {
    const before = parsePrometheus((await h.request('GET', '/metrics')).body.toString('utf8'));
    assert.equal(value(before.samples, 'shoal_port_mapping_up', { protocol: 'tcp' }), 0);
    assert.equal(before.samples.filter((s) => s.name === 'shoal_external_address_info').length, 0, 'no address series while none is known');
    const vote = h.service.nat;
    h.service.nat = {
      ...vote,
      externalAddress: '10.20.30.40',
      mappings: [
        { protocol: 'tcp', internalPort: 6881, externalPort: 6881, method: 'natpmp', state: 'mapped' },
        { protocol: 'udp', internalPort: 6881, externalPort: null, method: null, state: 'failed', error: 'refused' },
      ],
    };
    const after = parsePrometheus((await h.request('GET', '/metrics')).body.toString('utf8'));
    assert.equal(after.types.get('shoal_port_mapping_up'), 'gauge');
    assert.equal(value(after.samples, 'shoal_port_mapping_up', { protocol: 'tcp' }), 1);
    assert.equal(value(after.samples, 'shoal_port_mapping_up', { protocol: 'udp' }), 0);
    assert.equal(value(after.samples, 'shoal_external_address_info', { address: '10.20.30.40' }), 1);
    h.service.nat = vote;
  });

  it('reports the NAT type and hole punching from the vote as one labelled series', async () => {
    const before = parsePrometheus((await h.request('GET', '/metrics')).body.toString('utf8'));
    assert.equal(before.types.get('shoal_nat_type_info'), 'gauge');
    assert.equal(value(before.samples, 'shoal_nat_type_info', { type: 'unknown', holepunch: 'on' }), 1);
    const vote = h.service.nat;
    h.service.nat = { ...vote, votedAddress: '10.20.30.40', natType: 'symmetric', holepunch: 'relay-only', votes: { peer: 1, dht: 3, tracker: 1, portMapping: 0 } };
    const after = parsePrometheus((await h.request('GET', '/metrics')).body.toString('utf8'));
    const series = after.samples.filter((s) => s.name === 'shoal_nat_type_info');
    assert.deepEqual(series.map((s) => [s.labels, s.value]), [[{ type: 'symmetric', holepunch: 'relay-only' }, 1]], 'the old type\'s series is gone');
    h.service.nat = vote;
  });

  it('reads the service afresh on each scrape', async () => {
    h.service.counters.pieceHashFailures = 10;
    h.service.counters.announceFail = 9;
    const { samples } = parsePrometheus((await h.request('GET', '/metrics')).body.toString('utf8'));
    assert.equal(value(samples, 'shoal_piece_hash_failures_total'), 10);
    assert.equal(value(samples, 'shoal_tracker_announces_total', { result: 'failure' }), 9);
    assert.equal(value(samples, 'shoal_tracker_announces_total', { result: 'success' }), 5);
  });

  it('never lowers a counter, even when the service reports less (Prometheus would read a restart)', async () => {
    const scrape = async () => parsePrometheus((await h.request('GET', '/metrics')).body.toString('utf8')).samples;
    h.service.counters.pieceHashFailures = 4;
    h.service.counters.announceFail = 1;
    const lower = await scrape();
    assert.equal(value(lower, 'shoal_piece_hash_failures_total'), 10);
    assert.equal(value(lower, 'shoal_tracker_announces_total', { result: 'failure' }), 9);
    h.service.counters.pieceHashFailures = 11;
    assert.equal(value(await scrape(), 'shoal_piece_hash_failures_total'), 11);
  });
});
