/**
 * The daemon parses a large .torrent on a worker thread (service/torrent-parser.ts): while a
 * 100,000-file torrent is parsed the service keeps answering. Parsed inline, as it was, the add
 * call held the event loop for the whole parse (82 s for 700,000 files under load). A saved
 * torrent left idle over a restart is loaded the same way when the API first reads its files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../src/bencode/encode.js';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import { DEFAULT_OFF_THREAD_BYTES, TorrentParser } from '../../src/daemon/service/torrent-parser.js';
import { ServiceError } from '../../src/daemon/types.js';
import { startService } from './service-helpers.js';

const FILES = 100_000;

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'shoal-svc-parse-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `n` files of 100 bytes; `extraPieces` more hashes than the files need makes it invalid (found only at the end of the parse). */
function manyFiles(n: number, extraPieces = 0): Uint8Array {
  const files = Array.from({ length: n }, (_, i) => ({ length: 100, path: [`d${Math.floor(i / 1000)}`, `f${i}.txt`] }));
  const pieces = Math.ceil((n * 100) / (4 * 1024 * 1024)) + extraPieces;
  return encode({ info: { name: 'many', 'piece length': 4 * 1024 * 1024, pieces: new Uint8Array(pieces * 20), files } });
}

/** Calls `service.list` once per turn of the event loop until stopped; counts the answers. */
function prober(list: () => unknown): { stop(): number } {
  let on = true, answered = 0;
  const probe = () => {
    if (!on) return;
    list();
    answered++;
    setImmediate(probe);
  };
  setImmediate(probe);
  return { stop: () => ((on = false), answered) };
}

describe('adding a torrent with very many files', () => {
  it(`answers list requests while a ${FILES.toLocaleString('en')}-file torrent is parsed, then refuses it with the parser's message`, async () => {
    const bad = manyFiles(FILES, 1);
    assert.ok(bad.length > DEFAULT_OFF_THREAD_BYTES);
    const { service, runtime } = await startService(join(dir, 'state1'), join(dir, 'dl'));
    try {
      // Refused at the very end of the parse (piece count), before the add touches the disk: every
      // list answered before the refusal was answered while the parse ran.
      const p = prober(() => service.list({}));
      const e = await service.add({ torrent: bad, paused: true }).then(() => undefined, (x: unknown) => x);
      const answered = p.stop();
      assert.ok(e instanceof ServiceError && e.status === 400, `a 400, got ${String(e)}`);
      assert.match(e.message, /invalid torrent: 'pieces' holds 4 hashes but the files need 3/);
      assert.ok(answered > 0, 'list requests answered while the torrent was parsed');
      assert.equal(service.list({}).total, 0);
    } finally {
      await service.close();
      runtime.close();
    }
  });

  it('adds it as the inline parser reads it', async () => {
    const good = manyFiles(FILES);
    const { service, runtime } = await startService(join(dir, 'state2'), join(dir, 'dl'));
    try {
      const p = prober(() => service.list({}));
      const id = await service.add({ torrent: good, paused: true });
      assert.ok(p.stop() > 0);
      assert.equal(service.parser.offThread, 1, 'parsed on the worker');
      const d = service.details(id, { offset: FILES - 1, limit: 1 });
      assert.equal(d.fileCount, FILES);
      assert.equal(d.files[0].path, `many/d99/f${FILES - 1}.txt`);
      const inline = parseTorrent(good);
      assert.equal(d.size, inline.length);
    } finally {
      await service.close();
      runtime.close();
    }
  });
  it('after a restart, loads an idle saved torrent on the worker when the API first asks for its files', async () => {
    const state = join(dir, 'state3');
    const first = await startService(state, join(dir, 'dl'));
    let id: string;
    try {
      id = await first.service.add({ torrent: manyFiles(FILES), paused: true });
    } finally {
      await first.service.close();
      first.runtime.close();
    }
    const { service, runtime } = await startService(state, join(dir, 'dl'));
    try {
      assert.equal(service.parser.offThread, 0, 'a paused torrent is not parsed at start');
      // Before, GET /api/torrents/:id parsed it inline in details(): the loop held for the whole parse.
      const p = prober(() => service.list({}));
      await service.loadMetadata(id);
      assert.ok(p.stop() > 0, 'list requests answered while it was parsed');
      assert.equal(service.parser.offThread, 1, 'parsed on the worker');
      const d = service.details(id, { offset: FILES - 1, limit: 1 });
      assert.equal(d.fileCount, FILES);
      assert.equal(d.files[0].path, `many/d99/f${FILES - 1}.txt`);
      await service.loadMetadata(id);
      assert.equal(service.parser.offThread, 1, 'once');
    } finally {
      await service.close();
      runtime.close();
    }
  });

  it('answers 409 past torrentParser.maxQueued large torrents waiting for the worker', async () => {
    const parser = new TorrentParser({ offThreadBytes: 0, maxQueued: 2 });
    const small = manyFiles(10);
    const runs = [parser.parse(small), parser.parse(small)];
    await assert.rejects(parser.parse(small), (e: unknown) => e instanceof ServiceError && e.status === 409 && /maxQueued/.test(e.message));
    assert.equal((await Promise.all(runs)).length, 2);
    assert.equal((await parser.parse(small)).layout.files.length, 10, 'room again once they are done');
    assert.equal((await Promise.all([parser.parse(small, undefined, false), parser.parse(small, undefined, false), parser.parse(small, undefined, false)])).length, 3, "the daemon's own starts are not capped");
  });
});
