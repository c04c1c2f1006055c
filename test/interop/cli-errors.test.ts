/**
 * How the CLI fails: malformed input exits 1 with one line on stderr and no stack trace,
 * usage errors exit 2, and a torrent whose paths would escape the download directory
 * ('..', absolute paths) is refused with a message naming the problem. Paths it cannot use
 * (`get -o` a file or an uncreatable directory, `create -o` into a missing directory, `seed`
 * at a path without the torrent's data) and a tracker address in use are refused the same way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  bencode, makeTempDir, pseudoRandomBytes, removeDir, runCli, shoalCreate, v1Pieces, writeTree,
} from './helpers.js';
import type { BValue, RunResult } from './helpers.js';

/** Exit 1, exactly one non-empty line on stderr, nothing that looks like a stack trace. */
function assertOneLineFailure(r: RunResult, what: string): void {
  assert.equal(r.code, 1, `${what}: exit code ${r.code} (stderr: ${JSON.stringify(r.stderr)})`);
  const text = r.stderr.replace(/\r?\n$/, '');
  assert.ok(text.length > 0, `${what}: stderr is empty`);
  assert.equal(text.split('\n').length, 1, `${what}: stderr has more than one line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(text, /^\s+at |\bat .+:\d+:\d+\)?$|node:internal/m, `${what}: stderr shows a stack trace`);
}

describe('shoal CLI errors', () => {
  let tmp = '';
  let goodTorrent = '';

  before(async () => {
    tmp = makeTempDir('shoal-cli-errors-');
    writeTree(join(tmp, 'data', 'src'), [{ path: 'a.bin', length: 50_000 }, { path: 'b/c.bin', length: 20_000 }]);
    goodTorrent = join(tmp, 'good.torrent');
    await shoalCreate(join(tmp, 'data', 'src'), goodTorrent, ['--piece-length', '16384']);
  });
  after(() => removeDir(tmp));

  /** Writes a v1 torrent whose info dict is `info` (pieces computed over `length` zero bytes). */
  const writeTorrent = (name: string, info: { [key: string]: BValue }): string => {
    const path = join(tmp, name);
    writeFileSync(path, bencode({ announce: 'http://tracker.example/announce', info }));
    return path;
  };
  const zeros = (n: number): BValue => v1Pieces(new Uint8Array(n), 16384);

  it('exits 1 with one stderr line on a truncated torrent', async () => {
    const bytes = readFileSync(goodTorrent);
    const truncated = join(tmp, 'truncated.torrent');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    assertOneLineFailure(await runCli(['info', truncated, '--json']), 'truncated torrent');
  });

  it('exits 1 with one stderr line on a garbage file', async () => {
    const garbage = join(tmp, 'garbage.torrent');
    writeFileSync(garbage, pseudoRandomBytes('garbage', 4096));
    assertOneLineFailure(await runCli(['info', garbage, '--json']), 'garbage file');
    assertOneLineFailure(await runCli(['info', garbage]), 'garbage file (text output)');
  });

  it('exits 1 with one stderr line on well-formed bencode that is not a torrent', async () => {
    const notTorrent = join(tmp, 'not-a-torrent.torrent');
    writeFileSync(notTorrent, bencode({ hello: 'world', list: [1, 2, 3] }));
    assertOneLineFailure(await runCli(['info', notTorrent, '--json']), 'bencoded dict without info');
  });

  it('exits 1 with one stderr line on trailing bytes after the torrent', async () => {
    const trailing = join(tmp, 'trailing.torrent');
    writeFileSync(trailing, Buffer.concat([readFileSync(goodTorrent), Buffer.from('garbage')]));
    assertOneLineFailure(await runCli(['info', trailing, '--json']), 'trailing garbage');
  });

  it('exits 1 naming the file when the torrent does not exist', async () => {
    const missing = join(tmp, 'does-not-exist.torrent');
    const r = await runCli(['info', missing, '--json']);
    assertOneLineFailure(r, 'nonexistent torrent');
    assert.match(r.stderr, /does-not-exist\.torrent|no such file|not found|ENOENT/i);
  });

  it('exits 1 when create is given a path that does not exist', async () => {
    assertOneLineFailure(await runCli(['create', join(tmp, 'nope'), '-o', join(tmp, 'nope.torrent')]), 'create on nonexistent path');
  });

  it('exits 2 on an unknown option', async () => {
    const r = await runCli(['info', goodTorrent, '--no-such-option']);
    assert.equal(r.code, 2, `exit code ${r.code} (stderr: ${JSON.stringify(r.stderr)})`);
    assert.match(r.stderr, /no-such-option|unknown option/i);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    const c = await runCli(['create', join(tmp, 'data', 'src'), '-o', join(tmp, 'x.torrent'), '--bogus']);
    assert.equal(c.code, 2, `create --bogus: exit code ${c.code} (stderr: ${JSON.stringify(c.stderr)})`);
  });

  it('exits 2 when a required argument is missing', async () => {
    const r = await runCli(['info']);
    assert.equal(r.code, 2, `exit code ${r.code} (stderr: ${JSON.stringify(r.stderr)})`);
  });

  describe('refuses paths it cannot use, before doing any work', () => {
    const noRawCode = /\bE[A-Z]{3,}\b|unexpected error/;
    const stateDir = () => join(tmp, 'state');

    it('get -o naming a file says it is not a directory', async () => {
      const file = join(tmp, 'a-file');
      writeFileSync(file, 'x');
      const r = await runCli(['get', goodTorrent, '-o', file, '--no-dht', '--state-dir', stateDir()], { timeoutMs: 30_000 });
      assertOneLineFailure(r, 'get -o <file>');
      assert.match(r.stderr, /is a file, not a directory/);
      assert.doesNotMatch(r.stderr, noRawCode);
    });

    it('get -o under a file says which part is a file', async () => {
      const r = await runCli(['get', goodTorrent, '-o', join(tmp, 'a-file', 'sub'), '--no-dht', '--state-dir', stateDir()], { timeoutMs: 30_000 });
      assertOneLineFailure(r, 'get -o <file>/sub');
      assert.match(r.stderr, /a-file is a file, not a directory/);
    });

    it('get -o /proc/x (where nothing can be created) is refused, not left at 0%', async () => {
      const r = await runCli(['get', goodTorrent, '-o', '/proc/shoal-cannot-create', '--no-dht', '--state-dir', stateDir()], { timeoutMs: 30_000 });
      assertOneLineFailure(r, 'get -o /proc/x');
      assert.match(r.stderr, /-o \/proc\/shoal-cannot-create: cannot create the directory/);
    });

    it('create -o into a missing directory says the directory does not exist', async () => {
      const out = join(tmp, 'no-such-dir', 'x.torrent');
      const r = await runCli(['create', join(tmp, 'data', 'src'), '-o', out]);
      assertOneLineFailure(r, 'create -o <missing dir>/x.torrent');
      assert.match(r.stderr, /no-such-dir does not exist/);
      assert.doesNotMatch(r.stderr, noRawCode);
    });

    it('create -o naming a directory asks for a file path', async () => {
      const r = await runCli(['create', join(tmp, 'data', 'src'), '-o', join(tmp, 'data')]);
      assertOneLineFailure(r, 'create -o <dir>');
      assert.match(r.stderr, /is a directory; give the path of the file to write/);
    });

    it('seed with a path that does not exist is refused', async () => {
      const r = await runCli(['seed', goodTorrent, join(tmp, 'nothing-here'), '--no-dht', '--listen', '127.0.0.1:0', '--state-dir', stateDir()], { timeoutMs: 30_000 });
      assertOneLineFailure(r, 'seed <missing path>');
      assert.match(r.stderr, /nothing-here: no such directory; seed needs the torrent's data there/);
    });

    it('seed with a file for a multi-file torrent is refused', async () => {
      const r = await runCli(['seed', goodTorrent, join(tmp, 'data', 'src', 'a.bin'), '--no-dht', '--listen', '127.0.0.1:0', '--state-dir', stateDir()], { timeoutMs: 30_000 });
      assertOneLineFailure(r, 'seed <file> for a multi-file torrent');
      assert.match(r.stderr, /is a file, but 'src' is a multi-file torrent/);
    });

    it('seed with a directory holding none of the files names the likely right one', async () => {
      const r = await runCli(['seed', goodTorrent, join(tmp, 'data'), '--no-dht', '--listen', '127.0.0.1:0', '--state-dir', stateDir()], { timeoutMs: 30_000 });
      assertOneLineFailure(r, 'seed <parent dir>');
      assert.match(r.stderr, /holds none of the 2 files of 'src' .*did you mean .*data\/src\?/);
    });

    it('seed with files of the right names but other data is refused after the check', async () => {
      writeTree(join(tmp, 'other', 'src'), [{ path: 'a.bin', length: 50_000 }, { path: 'b/c.bin', length: 20_000 }], 'other-bytes');
      const r = await runCli(['seed', goodTorrent, join(tmp, 'other', 'src'), '--no-dht', '--listen', '127.0.0.1:0', '--state-dir', stateDir()], { timeoutMs: 30_000 });
      assertOneLineFailure(r, 'seed <other data>');
      assert.match(r.stderr, /none of the data matches the torrent \(0 of \d+ pieces verified\)/);
    });
  });

  describe('shoal tracker on an address in use', () => {
    it('names the HTTP address and exits 1', async () => {
      const blocker = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const port = (blocker.address() as AddressInfo).port;
      try {
        const r = await runCli(['tracker', '--http', `127.0.0.1:${port}`], { timeoutMs: 20_000 });
        assertOneLineFailure(r, 'tracker --http <taken>');
        assert.match(r.stderr, new RegExp(`--http 127\\.0\\.0\\.1:${port}: the address is already in use`));
      } finally {
        blocker.close();
      }
    });

    it('names the UDP address and exits 1, also when the HTTP one was free', async () => {
      const blocker = createSocket('udp4');
      await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', () => r()));
      const port = blocker.address().port;
      try {
        const r = await runCli(['tracker', '--http', '127.0.0.1:0', '--udp', `127.0.0.1:${port}`], { timeoutMs: 20_000 });
        assertOneLineFailure(r, 'tracker --udp <taken>');
        assert.match(r.stderr, new RegExp(`--udp 127\\.0\\.0\\.1:${port}: the address is already in use`));
      } finally {
        blocker.close();
      }
    });
  });

  describe('refuses torrents whose paths escape the download directory', () => {
    const problem = /\.\.|absolute|unsafe|travers|escape|invalid path|not allowed|path/i;
    const hostile: { name: string; info: () => { [key: string]: BValue } }[] = [
      {
        name: "a '..' path in a v1 file list ('../../etc/passwd')",
        info: () => ({ name: 'evil', 'piece length': 16384, pieces: zeros(5), files: [{ length: 5, path: ['..', '..', 'etc', 'passwd'] }] }),
      },
      {
        name: "'..' after a normal component ('ok/../../x')",
        info: () => ({
          name: 'evil', 'piece length': 16384, pieces: zeros(10),
          files: [{ length: 5, path: ['ok', 'a'] }, { length: 5, path: ['ok', '..', '..', 'x'] }],
        }),
      },
      {
        name: "a single-file torrent named '..'",
        info: () => ({ name: '..', 'piece length': 16384, pieces: zeros(5), length: 5 }),
      },
      {
        name: 'an absolute path component (/etc/passwd)',
        info: () => ({ name: 'evil', 'piece length': 16384, pieces: zeros(5), files: [{ length: 5, path: ['/etc', 'passwd'] }] }),
      },
      {
        name: "a path component with an embedded separator ('../../etc/passwd' as one element)",
        info: () => ({ name: 'evil', 'piece length': 16384, pieces: zeros(5), files: [{ length: 5, path: ['../../etc/passwd'] }] }),
      },
      {
        name: "a '..' directory in a v2 file tree",
        info: () => ({
          name: 'evil', 'piece length': 16384, 'meta version': 2,
          'file tree': { '..': { '..': { passwd: { '': { length: 5, 'pieces root': new Uint8Array(32).fill(7) } } } } },
        }),
      },
    ];
    hostile.forEach((h, i) => {
      it(`exits 1 on ${h.name}`, async () => {
        const path = writeTorrent(`hostile-${i}.torrent`, h.info());
        const r = await runCli(['info', path, '--json']);
        if (r.code === 0) {
          // The alternative policy: the path is shown neutralised. It must not contain '..' or start with '/'.
          const info = JSON.parse(r.stdout) as { name: string; files: { path: string }[] };
          for (const f of info.files) {
            assert.ok(!f.path.split('/').includes('..') && !f.path.startsWith('/'), `hostile path shown as is: ${f.path}`);
          }
          assert.fail(`exited 0 with neutralised paths ${JSON.stringify(info.files.map((f) => f.path))}; the policy is to refuse`);
        }
        assertOneLineFailure(r, h.name);
        assert.match(r.stderr, problem, `the message does not name the problem: ${r.stderr.trim()}`);
      });
    });
  });
});
