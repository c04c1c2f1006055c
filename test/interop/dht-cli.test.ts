/**
 * `shoal dht ...` and `shoal sim dht` as a user runs them: three `shoal dht node`
 * processes on loopback form a network; one-shot commands put, get, announce and look up
 * through it. Without --dht-bootstrap the default routers cannot resolve here (no network):
 * the command must fail fast with one line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH, cliBuilt, makeTempDir, removeDir, runCli } from './helpers.js';

interface NodeInfo {
  id: string;
  address: string;
}

function startNode(listen: string, bootstrap: string[]): Promise<{ child: ChildProcess; info: NodeInfo }> {
  const args = [CLI_PATH, 'dht', 'node', '--listen', listen, '--json', ...bootstrap.flatMap((b) => ['--dht-bootstrap', b])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (l) => resolve({ child, info: JSON.parse(l) as NodeInfo }));
    child.once('exit', (code) => reject(new Error(`shoal dht node exited ${code}`)));
  });
}

describe('shoal dht and shoal sim dht', { skip: cliBuilt() ? false : 'CLI not built', timeout: 120_000 }, () => {
  const nodes: ChildProcess[] = [];
  let boot: string[] = [];
  let dir = '';

  before(async () => {
    dir = makeTempDir('shoal-dht-cli-');
    const port = 41000 + Math.floor(Math.random() * 4000);
    const first = await startNode(`127.0.0.40:${port}`, ['127.0.0.1:9']);
    nodes.push(first.child);
    for (let i = 1; i < 4; i++) nodes.push((await startNode(`127.0.0.${40 + i}:${port}`, [first.info.address])).child);
    boot = ['--dht-bootstrap', first.info.address, '--dht-bootstrap', `127.0.0.41:${port}`];
  });

  after(() => {
    for (const n of nodes) n.kill('SIGINT');
    removeDir(dir);
  });

  it('puts and gets an immutable value', async () => {
    const put = await runCli(['dht', 'put', 'hello dht', '--json', '--listen', '127.0.0.50:0', ...boot]);
    assert.equal(put.code, 0, put.stderr);
    const { target } = JSON.parse(put.stdout) as { target: string };
    assert.match(target, /^[0-9a-f]{40}$/);
    const get = await runCli(['dht', 'get', target, '--json', '--listen', '127.0.0.51:0', ...boot]);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(JSON.parse(get.stdout), { value: 'hello dht', seq: null });
  });

  it('puts and gets a mutable value with a key file and salt', async () => {
    const keyFile = join(dir, 'key.json');
    const kg = await runCli(['dht', 'keygen', '-o', keyFile]);
    assert.equal(kg.code, 0, kg.stderr);
    const publicKey = kg.stdout.trim();
    assert.equal((JSON.parse(readFileSync(keyFile, 'utf8')) as { publicKey: string }).publicKey, publicKey);
    const put = await runCli(['dht', 'put', 'v1', '--mutable', '--key', keyFile, '--salt', 'news', '--json', '--listen', '127.0.0.52:0', ...boot]);
    assert.equal(put.code, 0, put.stderr);
    const p = JSON.parse(put.stdout) as { target: string; publicKey: string; seq: number };
    assert.equal(p.publicKey, publicKey);
    assert.equal(p.seq, 1);
    const get = await runCli(['dht', 'get', publicKey, '--salt', 'news', '--json', '--listen', '127.0.0.53:0', ...boot]);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(JSON.parse(get.stdout), { value: 'v1', seq: 1 });
    const text = await runCli(['dht', 'get', p.target, '--salt', 'news', '--listen', '127.0.0.54:0', ...boot]);
    assert.equal(text.stdout, 'v1\n');
  });

  it('announces a peer and looks it up', async () => {
    const ih = 'ab'.repeat(20);
    const ann = await runCli(['dht', 'announce', ih, '--port', '6881', '--listen', '127.0.0.55:0', ...boot]);
    assert.equal(ann.code, 0, ann.stderr);
    const look = await runCli(['dht', 'lookup', ih, '--json', '--listen', '127.0.0.56:0', ...boot]);
    assert.equal(look.code, 0, look.stderr);
    const r = JSON.parse(look.stdout) as { peers: string[]; hops: number };
    assert.ok(r.peers.includes('127.0.0.55:6881'), look.stdout);
    assert.ok(r.hops >= 1);
  });

  it('fails fast and quietly when the default routers cannot be reached', async () => {
    const r = await runCli(['dht', 'lookup', '00'.repeat(20)], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^shoal: no DHT bootstrap node/);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
  });

  it('reports usage errors with exit code 2', async () => {
    assert.equal((await runCli(['dht', 'lookup', 'xyz'])).code, 2);
    assert.equal((await runCli(['dht', 'put', 'v', '--mutable'])).code, 2);
    assert.equal((await runCli(['sim', 'dht', '--nodes', 'many'])).code, 2);
  });

  it('runs shoal sim dht and prints the JSON report', async () => {
    const r = await runCli(['sim', 'dht', '--nodes', '300', '--lookups', '30', '--seed', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, number>;
    for (const k of ['nodes', 'lookups', 'success', 'medianHops', 'p95Hops', 'medianLatencyMs', 'p95LatencyMs', 'wallMs', 'peakRssMb']) assert.equal(typeof j[k], 'number', k);
    assert.equal(j.nodes, 300);
    assert.ok(j.success >= 0.9);
  });
});
