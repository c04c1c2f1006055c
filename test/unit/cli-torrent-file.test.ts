/**
 * `shoal get` / `shoal seed` / `shoal info` given the wrong thing where a .torrent belongs:
 * each mistake is named (a folder, the data itself, a FIFO), nothing is read whole into memory
 * or waited on for ever.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSource } from '../../src/cli/get.js';
import { readTorrentOrMagnet } from '../../src/cli/info.js';
import { ShoalError } from '../../src/errors.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-torrent-file-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (re: RegExp) => (e: unknown) => e instanceof ShoalError && re.test(e.message);

it('names a folder given as the torrent, and says how to share one', () => {
  mkdirSync(join(dir, 'album'));
  assert.throws(() => readSource(join(dir, 'album')), refused(/is a directory, not a \.torrent file .*shoal create/));
  assert.throws(() => readTorrentOrMagnet(join(dir, 'album')), refused(/is a directory/));
});

it('refuses the data itself (larger than any .torrent) without reading it', () => {
  const iso = join(dir, 'big.iso');
  const fd = openSync(iso, 'w');
  ftruncateSync(fd, 3 * 1024 ** 3); // sparse: 3 GiB, more than readFileSync can even hold
  closeSync(fd);
  assert.throws(() => readSource(iso), refused(/too large for a \.torrent file .*not the data/));
});

it('refuses a FIFO instead of waiting on it, and names a missing file', { skip: process.platform === 'win32' }, () => {
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => readSource(fifo), refused(/is not a regular file/));
  assert.throws(() => readSource(join(dir, 'nope.torrent')), refused(/no such file/));
  writeFileSync(join(dir, 'file'), 'x');
  assert.throws(() => readSource(join(dir, 'file', 'below.torrent')), refused(/no such file/));
});

it('says a file that is not a torrent is not one, naming it', () => {
  const data = join(dir, 'song.mp3');
  writeFileSync(data, 'ID3 not bencode');
  assert.throws(() => readSource(data), refused(/song\.mp3 is not a \.torrent file: /));
  assert.throws(() => readTorrentOrMagnet(data), refused(/song\.mp3 is not a \.torrent file: /));
});
