/**
 * Local peer discovery (BEP 14) between two machines on one LAN: two network namespaces whose
 * veth ends sit on one bridge (in a third namespace), private addresses only:
 *
 *   ns A 10.231.0.1/24 ──veth── [bridge in ns BR] ──veth── 10.231.0.2/24 ns B
 *
 * `shoal seed` runs in A and `shoal get` in B with no tracker, no DHT, no port mapping and
 * no --peer: the only way they can meet is LSD multicast. The leecher's announce at start
 * reaches the seeder, which dials it; the download completes and matches the data.
 * The addresses exist only inside these namespaces (their names carry our pid), so parallel
 * runs never meet. Skipped with a reason when namespaces cannot be made (not root).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PATH, cliBuilt, makeTempDir, removeDir, shoalCreate, writeTree } from './helpers.js';
import { netnsAvailable } from './netns.js';

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : existsSync('/sbin/ip') ? '/sbin/ip' : 'ip';

function ip(...args: string[]): void {
  const r = spawnSync(IP, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

it('two shoal processes on one bridge find each other by LSD alone and one downloads from the other', { timeout: 120_000 }, async (t) => {
  const avail = netnsAvailable();
  if (!avail.ok) return t.skip(avail.reason);
  if (!cliBuilt()) return t.skip('the CLI is not built (npx tsc -p tsconfig.json)');
  const tag = `${process.pid % 100000}`;
  const [nsA, nsB, nsBr] = [`shoal-lsd-${tag}-a`, `shoal-lsd-${tag}-b`, `shoal-lsd-${tag}-br`];
  const dir = makeTempDir('shoal-lsd-');
  const destroy = () => {
    for (const n of [nsA, nsB, nsBr]) spawnSync(IP, ['netns', 'del', n]);
  };
  t.after(() => {
    destroy();
    removeDir(dir);
  });
  for (const n of [nsA, nsB, nsBr]) {
    ip('netns', 'add', n);
    ip('-n', n, 'link', 'set', 'lo', 'up');
  }
  ip('-n', nsBr, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
  ip('-n', nsBr, 'link', 'set', 'br0', 'up');
  for (const [n, addr] of [[nsA, '10.231.0.1'], [nsB, '10.231.0.2']] as const) {
    const side = n === nsA ? 'a' : 'b';
    ip('-n', nsBr, 'link', 'add', `p${side}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n);
    ip('-n', nsBr, 'link', 'set', `p${side}`, 'master', 'br0');
    ip('-n', nsBr, 'link', 'set', `p${side}`, 'up');
    ip('-n', n, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    ip('-n', n, 'link', 'set', 'eth0', 'up');
  }

  writeTree(join(dir, 'data'), [{ path: 'x.bin', length: 3 * 1024 * 1024 + 17 }, { path: 'y.bin', length: 100_000 }], 'lsd');
  await shoalCreate(join(dir, 'data'), join(dir, 'data.torrent'), ['--piece-length', '65536']);

  const seeder = spawn(IP, ['netns', 'exec', nsA, process.execPath, CLI_PATH, 'seed', join(dir, 'data.torrent'), join(dir, 'data'),
    '--listen', '10.231.0.1:6881', '--no-dht', '--no-port-mapping', '--state-dir', join(dir, 'state-a')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seederOut = '';
  seeder.stdout.on('data', (b: Buffer) => (seederOut += b.toString()));
  seeder.stderr.on('data', (b: Buffer) => (seederOut += b.toString()));
  t.after(() => {
    seeder.kill('SIGKILL');
  });
  for (let i = 0; i < 200 && !seederOut.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(seederOut, /listening on 10\.231\.0\.1:6881/);

  const get = spawnSync(IP, ['netns', 'exec', nsB, process.execPath, CLI_PATH, 'get', join(dir, 'data.torrent'), '-o', join(dir, 'out'),
    '--listen', '10.231.0.2:0', '--no-dht', '--no-port-mapping', '--state-dir', join(dir, 'state-b'), '--verbose'], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(get.status, 0, `get exited ${get.status}: ${get.stderr}\nseeder: ${seederOut}`);
  assert.match(get.stderr, /local peer discovery on \d multicast group/);
  for (const f of ['x.bin', 'y.bin']) assert.deepEqual(readFileSync(join(dir, 'out', 'data', f)), readFileSync(join(dir, 'data', f)), f);
});
