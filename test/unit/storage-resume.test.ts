import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../src/bencode/encode.js';
import { Bitfield } from '../../src/storage/bitfield.js';
import { ResumeDataError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { openTorrentStorage, type OpenedTorrentStorage } from '../../src/storage/open.js';
import { decodeResume, encodeResume, type ResumeData } from '../../src/storage/resume-codec.js';
import { ResumeRecorder, readResumeFile, writeFileAtomic } from '../../src/runtime/node/disk/resume-file.js';
import { resumeInfoHash } from '../../src/storage/resume-codec.js';
import { MULTI_FILES, assertBytes, blocksOf, makeFixture, type Fixture } from './storage-fixtures.js';

let dir: string;
let multi: Fixture;
let other: Fixture;
let n = 0;
const fresh = () => join(dir, `case-${n++}`);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-resume-'));
  multi = await makeFixture(join(dir, 'src'), 'multi', MULTI_FILES, 'hybrid', 32_768);
  other = await makeFixture(join(dir, 'src2'), 'multi', { 'a.bin': 50_000 }, 'v1', 16_384);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sample(): ResumeData {
  const have = new Bitfield(13);
  have.set(0);
  have.set(12);
  return {
    infoHash: new Uint8Array(20).fill(7),
    pieceLength: 32_768,
    have,
    files: [{ exists: true, size: 70_000, mtimeNs: 1_700_000_000_123_456_789n }, { exists: false, size: 0, mtimeNs: 0n }],
    clean: true,
  };
}

async function download(s: FileStorage, f: Fixture, pieces: Iterable<number>, recorder?: ResumeRecorder, now = 0): Promise<void> {
  for (const p of pieces) {
    for (const [q, o, len] of blocksOf(f.torrent)) if (q === p) await s.writeBlock(p, o, f.piece(p).subarray(o, o + len));
    assert.equal(await s.verifyPiece(p), true);
    await recorder?.maybeSave(now);
  }
}

const open = (root: string, f = multi): Promise<OpenedTorrentStorage> =>
  openTorrentStorage(f.torrent, { downloadDir: join(root, 'dl'), resumePath: join(root, 'resume'), cacheBytes: 0 });

describe('resume file format', () => {
  it('round-trips, with nanosecond mtimes', () => {
    const d = decodeResume(encodeResume(sample()));
    assert.deepEqual(d.infoHash, sample().infoHash);
    assert.deepEqual([...d.have.indices()], [0, 12]);
    assert.deepEqual(d.files, sample().files);
    assert.equal(d.clean, true);
  });

  it('throws only ResumeDataError for corrupt or hostile input', () => {
    const good = encodeResume(sample());
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, good.length - 3),
      new TextEncoder().encode('li1ee'),
      encode({ 'shoal resume': 2 }),
      encode({ ...plain(sample()), 'info hash': new Uint8Array(5) }),
      encode({ ...plain(sample()), pieces: new Uint8Array(1) }),
      encode({ ...plain(sample()), pieces: Uint8Array.of(0x80, 0x0f) }), // spare bits set
      encode({ ...plain(sample()), files: [[1]] }),
      encode({ ...plain(sample()), files: [[-2, 0]] }),
      encode({ ...plain(sample()), 'piece count': 1e12 }),
      encode({ ...plain(sample()), clean: 7 }),
    ];
    for (const b of bad) assert.throws(() => decodeResume(b), ResumeDataError, Buffer.from(b).toString('latin1'));
    assert.throws(() => decodeResume(good, { maxBytes: 10 }), ResumeDataError);
    assert.throws(() => decodeResume(good, { maxFiles: 1 }), ResumeDataError);
  });

  it('reads a missing file as null, a corrupt or oversized one as ResumeDataError', async () => {
    const root = fresh();
    mkdirSync(root);
    assert.equal(await readResumeFile(join(root, 'none')), null);
    writeFileSync(join(root, 'bad'), 'garbage');
    await assert.rejects(readResumeFile(join(root, 'bad')), ResumeDataError);
    writeFileSync(join(root, 'big'), encodeResume(sample()));
    await assert.rejects(readResumeFile(join(root, 'big'), { maxBytes: 8 }), ResumeDataError);
    await assert.rejects(readResumeFile(root), ResumeDataError);
  });

  it('writes atomically: the new content replaces the old and no temp file is left', async () => {
    const root = fresh();
    mkdirSync(root);
    const path = join(root, 'r');
    await writeFileAtomic(path, Uint8Array.of(1));
    await writeFileAtomic(path, Uint8Array.of(2, 3));
    assert.deepEqual(readdirSync(root), ['r']);
    assert.deepEqual((await import('node:fs')).readFileSync(path), Buffer.from([2, 3]));
  });
});

/** The fields of a ResumeData as an encodable object (to corrupt one field at a time). */
function plain(d: ResumeData) {
  return {
    'shoal resume': 1,
    'info hash': d.infoHash,
    'piece length': d.pieceLength,
    'piece count': d.have.length,
    pieces: d.have.toBytes(),
    files: d.files.map((f) => [f.size, f.mtimeNs]),
    clean: 1,
  };
}

describe('resume data across restarts', () => {
  it('a clean close then reopen re-hashes nothing and serves the data', async () => {
    const root = fresh();
    const a = await open(root);
    assert.equal(a.restored.mode, 'full');
    await download(a.storage, multi, [...Array(multi.torrent.pieceCount).keys()], a.recorder);
    await a.recorder.close();
    const b = await open(root);
    assert.equal(b.restored.mode, 'clean');
    assert.equal(b.restored.hashed, 0);
    assert.equal(b.storage.stats().piecesHashed, 0);
    assert.equal(b.storage.bitfield().complete, true);
    const p = multi.torrent.pieceCount - 1;
    assertBytes(await b.storage.readBlock(p, 0, multi.torrent.layout.pieceSize(p)), multi.piece(p));
    await b.recorder.close();
  });

  it('a clean restart of a partial download keeps its pieces and hashes nothing', async () => {
    const root = fresh();
    const a = await open(root);
    await download(a.storage, multi, [0, 2, 4]);
    await a.recorder.close();
    const b = await open(root);
    assert.deepEqual([b.restored.mode, b.restored.hashed, [...b.restored.have.indices()]], ['clean', 0, [0, 2, 4]]);
    await b.recorder.close();
  });

  it('checks again only the pieces of a file changed while Shoal was down', async () => {
    const root = fresh();
    const a = await open(root);
    await download(a.storage, multi, [...Array(multi.torrent.pieceCount).keys()]);
    await a.recorder.close();
    const changed = join(root, 'dl', 'multi', 'sub', 'deeper', 'd.bin');
    utimesSync(changed, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const b = await open(root);
    const d = b.storage.paths.indexOf(changed);
    const range = multi.torrent.layout.filePieces(d);
    assert.ok(range);
    assert.equal(b.restored.mode, 'clean');
    assert.equal(b.restored.hashed, range.last - range.first + 1);
    assert.equal(b.restored.have.complete, true);
    await b.recorder.close();
  });

  it('a corrupt resume file means a full check, never a failure', async () => {
    const root = fresh();
    const a = await open(root);
    await download(a.storage, multi, [1, 3]);
    await a.recorder.close();
    writeFileSync(join(root, 'resume'), 'd5:clean');
    const b = await open(root);
    assert.equal(b.restored.mode, 'full');
    assert.match(b.restored.reason ?? '', /resume data/);
    assert.deepEqual([...b.restored.have.indices()], [1, 3]);
    await b.recorder.close();
  });

  it('ignores resume data of another torrent', async () => {
    const root = fresh();
    mkdirSync(root);
    const foreign = { ...sample(), infoHash: resumeInfoHash(other.torrent) };
    writeFileSync(join(root, 'resume'), encodeResume(foreign));
    const b = await open(root);
    assert.equal(b.restored.mode, 'full');
    assert.match(b.restored.reason ?? '', /another torrent/);
    await b.recorder.close();
  });

  it('saves when maxUnsavedPieces pieces verified or intervalMs passed, and records only flushed pieces', async () => {
    const root = fresh();
    const s = new FileStorage(multi.torrent, { downloadDir: join(root, 'dl') });
    mkdirSync(root, { recursive: true });
    const rec = new ResumeRecorder(s, join(root, 'resume'), { intervalMs: 1_000, maxUnsavedPieces: 3 });
    const saves0 = rec.saves; // the first disk write of the session saves once (marking the file unclean)
    await download(s, multi, [0]);
    const afterFirst = rec.saves;
    assert.equal(afterFirst, saves0 + 1);
    assert.equal(await rec.maybeSave(0), true, 'first save is due at once');
    await download(s, multi, [1]);
    assert.equal(await rec.maybeSave(500), false, 'one piece, 500 ms: not due');
    assert.equal(await rec.maybeSave(1_000), true, 'interval passed');
    await download(s, multi, [2, 3]);
    assert.equal(await rec.maybeSave(1_100), false);
    await download(s, multi, [4]);
    assert.equal(await rec.maybeSave(1_200), true, 'three unsaved pieces');
    const saved = await readResumeFile(join(root, 'resume'));
    assert.deepEqual([...(saved?.have.indices() ?? [])], [0, 1, 2, 3, 4]);
    assert.equal(saved?.clean, false);
    assert.equal(await rec.maybeSave(99_999), false, 'nothing unsaved');
    await rec.close();
    assert.equal((await readResumeFile(join(root, 'resume')))?.clean, true);
  });

  it('marks the resume file unclean before the first write after a clean start', async () => {
    const root = fresh();
    const a = await open(root);
    await download(a.storage, multi, [0]);
    await a.recorder.close();
    const b = await open(root);
    assert.equal((await readResumeFile(join(root, 'resume')))?.clean, true);
    await b.storage.writeBlock(1, 0, multi.piece(1).subarray(0, 16_384)); // cacheBytes 0: straight to disk
    const r = await readResumeFile(join(root, 'resume'));
    assert.equal(r?.clean, false);
    assert.deepEqual([...(r?.have.indices() ?? [])], [0]);
    await b.recorder.close();
  });

  it('after a crash trusts recorded pieces and hashes only the others present on disk', async () => {
    const root = fresh();
    const a = await open(root);
    await download(a.storage, multi, [0, 1]);
    await a.recorder.save();
    await download(a.storage, multi, [2, 3]); // verified and written, never recorded
    await a.storage.close(); // the process "dies": no clean resume write
    const b = await open(root);
    assert.equal(b.restored.mode, 'crash');
    assert.equal(b.restored.trusted, 2);
    assert.deepEqual([...b.restored.have.indices()], [0, 1, 2, 3]);
    assert.ok(b.restored.hashed >= 2 && b.restored.hashed <= multi.torrent.pieceCount - 2);
    assert.equal(b.storage.stats().piecesHashed, b.restored.hashed);
    // The check's findings were recorded, so the next crash does not hash them again.
    assert.deepEqual([...((await readResumeFile(join(root, 'resume')))?.have.indices() ?? [])], [0, 1, 2, 3]);
    await b.recorder.close();
  });
});
