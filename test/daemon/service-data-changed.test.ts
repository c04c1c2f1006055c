/**
 * A completed torrent whose data changed on disk while the daemon was down: at the next
 * start the check finds pieces missing, and the torrent downloads again instead of showing
 * "seeding" with pieces missing (seen in the web UI as Seeding at 0.0%).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex, makeTorrent, startService, waitFor } from './service-helpers.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'shoal-svc-changed-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

it('a completed torrent whose file changed on disk is downloading again after a restart, not seeding', async () => {
  const data = join(dir, 'data');
  const { bytes, torrent } = await makeTorrent(data, 'album', [{ path: 'a.bin', length: 200_000 }, { path: 'b.bin', length: 50_000 }]);
  const id = hex(torrent);
  const state = join(dir, 'state');
  let { service } = await startService(state, data);
  await service.add({ torrent: bytes, savePath: data });
  await waitFor('seeding', () => service.details(id).state === 'seeding');
  await service.close();

  // Another program rewrote the first file while the daemon was down.
  writeFileSync(join(data, 'album', 'a.bin'), new Uint8Array(200_000).fill(1));
  ({ service } = await startService(state, data));
  try {
    const s = await waitFor('the check', () => {
      const x = service.details(id);
      return x.state !== 'checking' && x.state !== 'queued' && x.progress < 1 ? x : undefined;
    });
    assert.notEqual(s.state, 'seeding');
    assert.ok(s.progress < 0.5, `progress ${s.progress}`);
  } finally {
    await service.close();
  }
});
