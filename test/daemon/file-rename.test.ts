/** Renamed files laid out over a torrent, and the rules a new path from a client follows. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNewPath, renameOnDisk, withRenames } from '../../src/daemon/service/file-rename.js';
import { ServiceError } from '../../src/daemon/types.js';
import { realFiles } from '../../src/metainfo/torrent.js';
import { makeTorrent } from './service-helpers.js';
import { webSeedFileUrl } from '../../src/swarm/webseed-url.js';

describe('file renames', () => {
  it('lays renamed files out by real-file index and ignores a saved rename that is not a safe path', async () => {
    const { torrent } = await makeTorrent(mkdtempSync(join(tmpdir(), 'shoal-rename-')), 'pack', [{ path: 'a.bin', length: 100 }, { path: 'b.bin', length: 200 }]);
    const renamed = withRenames(torrent, { 1: ['sub', 'B.bin'], 0: ['..', 'escape.bin'] });
    assert.deepEqual(realFiles(renamed).map((f) => f.path.join('/')), ['a.bin', 'sub/B.bin']);
    assert.deepEqual(realFiles(renamed).map((f) => [f.offset, f.length]), realFiles(torrent).map((f) => [f.offset, f.length]), 'the piece space stays');
    assert.equal(renamed.infoHashV1, torrent.infoHashV1);
    assert.equal(withRenames(torrent, {}), torrent);
  });

  it('keeps asking web seeds for a renamed file under the torrent\'s own path (the server does not know our name)', async () => {
    const { torrent } = await makeTorrent(mkdtempSync(join(tmpdir(), 'shoal-rename-ws-')), 'pack', [{ path: 'a.bin', length: 100 }, { path: 'b.bin', length: 200 }]);
    const once = withRenames(torrent, { 1: ['sub', 'B.bin'] });
    const twice = withRenames(once, { 1: ['C.bin'] });
    const index = twice.layout.files.findIndex((f) => f.path.join('/') === 'C.bin');
    assert.equal(webSeedFileUrl('http://seed.example/pub/', twice, index), 'http://seed.example/pub/pack/b.bin');
  });

  it('on disk: moves the file and removes the folders it leaves empty, never the torrent\'s own folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-rename-disk-'));
    const { torrent, root } = await makeTorrent(dir, 'show', [{ path: 'Season 1/Extras/E01.mkv', length: 100 }, { path: 'Season 2/E01.mkv', length: 50 }]);
    await renameOnDisk(torrent, dir, 0, ['E01.mkv']);
    assert.ok(existsSync(join(root, 'E01.mkv')));
    assert.equal(existsSync(join(root, 'Season 1')), false, 'Season 1/Extras and Season 1 were left empty');
    await renameOnDisk(withRenames(torrent, { 0: ['E01.mkv'] }), dir, 1, ['S2E01.mkv']);
    assert.deepEqual(readdirSync(root).sort(), ['E01.mkv', 'S2E01.mkv']);
    assert.deepEqual(readdirSync(dir), ['show'], 'the torrent folder stays');
  });

  it('takes relative, portable paths only', () => {
    assert.deepEqual(parseNewPath('Season 1/E01.mkv'), ['Season 1', 'E01.mkv']);
    for (const bad of ['', '/etc/passwd', '../x', 'a/./b', 'a//b', 'a\\b', 'CON', 'name.', 'x\u0000y', 'a/'.repeat(65) + 'b']) {
      assert.throws(() => parseNewPath(bad), (e: unknown) => e instanceof ServiceError && e.status === 400, JSON.stringify(bad));
    }
  });
});
