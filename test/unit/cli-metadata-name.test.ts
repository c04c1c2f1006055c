/**
 * `shoal get` saves metadata fetched from peers as `<state>/torrents/<name>.torrent`; the name
 * is the peer's word, so it must become one safe file name (no '/', no '..', at most 255 bytes).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { metadataFileName } from '../../src/cli/get.js';

const hash = new Uint8Array(20).fill(0xab);
const name = (n: string) => metadataFileName({ name: n, infoHashV1: hash, infoHashV2: undefined });

it('keeps an ordinary name', () => {
  assert.equal(name('Ubuntu 24.04 desktop'), 'Ubuntu 24.04 desktop.torrent');
});

it('never leaves the torrents folder: separators and dot names give the info hash', () => {
  for (const n of ['../../.bashrc', 'a/b', '..', 'x\\y', 'bad\u0000name']) assert.equal(name(n), `${'ab'.repeat(20)}.torrent`, n);
});

it('fits a file name (255 bytes) however long the torrent name is', () => {
  const long = name('é'.repeat(300));
  assert.ok(Buffer.byteLength(long) <= 255, `${Buffer.byteLength(long)} bytes`);
  assert.ok(long.endsWith('.torrent'));
});
