/**
 * Trackerless: a `shoal seed` announces to the DHT, and `shoal get magnet:` with no tracker
 * and no peer hint finds it there (a `shoal dht node` on loopback is the bootstrap node).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree } from './helpers.js';

let tmp: string;
const children: ChildProcess[] = [];

function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => ready.test(line) && resolve({ child, line }));
    child.on('exit', (code) => reject(new Error(`shoal ${args[0]} exited ${code}`)));
  });
}

before(() => {
  tmp = makeTempDir('shoal-dht-engine-');
});
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  removeDir(tmp);
});

it('downloads a magnet link found only through the DHT (no tracker, no peer hint)', async () => {
  writeTree(join(tmp, 'seed', 'stuff'), [{ path: 'a.bin', length: 1_500_000 }, { path: 'b/c.bin', length: 300_000 }]);
  const torrent = join(tmp, 'stuff.torrent');
  assert.equal((await shoalCreate(join(tmp, 'seed', 'stuff'), torrent, ['--piece-length', '64k', '--no-date'])).code, 0);
  const info = await shoalInfo(torrent);

  const node = await start(['dht', 'node', '--listen', '127.0.0.30:0'], /listening on/);
  const bootstrap = /listening on (\S+?),/.exec(node.line)![1];
  await start(['seed', torrent, join(tmp, 'seed', 'stuff'), '--listen', '127.0.0.31:0', '--state-dir', join(tmp, 's1'), '--dht-bootstrap', bootstrap], /^listening on/);

  // The seed announces right after joining; retry the get once if it raced the announce.
  let r = await runCli(['get', `magnet:?xt=urn:btih:${info.infoHash}`, '-o', join(tmp, 'out'), '--listen', '127.0.0.32:0', '--state-dir', join(tmp, 's2'), '--dht-bootstrap', bootstrap], { timeoutMs: 30_000 });
  if (r.code !== 0) r = await runCli(['get', `magnet:?xt=urn:btih:${info.infoHash}`, '-o', join(tmp, 'out'), '--listen', '127.0.0.32:0', '--state-dir', join(tmp, 's2'), '--dht-bootstrap', bootstrap], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['a.bin', 'b/c.bin']) {
    const sha = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');
    assert.equal(sha(join(tmp, 'out', 'stuff', f)), sha(join(tmp, 'seed', 'stuff', f)));
  }
});
