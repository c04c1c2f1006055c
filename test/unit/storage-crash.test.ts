/**
 * kill -9 safety: a child process downloads with FileStorage + resume data and is SIGKILLed at
 * a random moment; every piece the resume data records must really be on disk, a restart must
 * keep every verified piece (hashing only unrecorded ones), and a clean finish then restart
 * must hash nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { openTorrentStorage } from '../../src/storage/open.js';
import { readResumeFile } from '../../src/runtime/node/disk/resume-file.js';
import { PieceVerifier } from '../../src/storage/verifier.js';
import { makeFixture, prng, type Fixture } from './storage-fixtures.js';

const CHILD = fileURLToPath(new URL('./storage-crash-child.js', import.meta.url));

let dir: string;
let f: Fixture;
let paths: { torrent: string; payload: string; dl: string; resume: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-crash-'));
  f = await makeFixture(join(dir, 'src'), 'multi', { 'a.bin': 300_000, 'b/c.bin': 500_000, 'd.bin': 200_001, 'e.txt': 0 }, 'hybrid', 16_384);
  paths = { torrent: join(dir, 't.torrent'), payload: join(dir, 'payload'), dl: join(dir, 'dl'), resume: join(dir, 'state', 'resume') };
  writeFileSync(paths.torrent, f.bytes);
  writeFileSync(paths.payload, f.space);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface ChildRun {
  verified: Set<number>;
  done: boolean;
  killed: boolean;
}

/** Runs the child; SIGKILLs it `delayMs` after it has printed `killAfter` verified pieces (never when undefined). */
function runChild(seed: number, killAfter: number | undefined, delayMs: number): Promise<ChildRun> {
  const child = spawn(process.execPath, [CHILD, paths.torrent, paths.payload, paths.dl, paths.resume, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: ChildRun = { verified: new Set(), done: false, killed: false };
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, arg] = line.split(' ');
    if (word === 'verified') run.verified.add(Number(arg));
    if (word === 'done') run.done = true;
    if (killAfter !== undefined && run.verified.size === killAfter && !run.killed) {
      run.killed = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(run);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

/** Reads piece `p` straight from the files (pads as zeros), independent of FileStorage. */
function pieceOnDisk(t: Torrent, p: number): Uint8Array {
  const buf = new Uint8Array(t.layout.pieceSize(p));
  let at = 0;
  for (const s of t.layout.pieceSlices(p)) {
    const file = t.layout.files[s.fileIndex];
    if (!file.pad) {
      let fd: number;
      try {
        fd = openSync(join(paths.dl, 'multi', ...file.path), 'r');
      } catch {
        return new Uint8Array(0);
      }
      readSync(fd, buf, at, s.length, s.offset);
      closeSync(fd);
    }
    at += s.length;
  }
  return buf;
}

describe('kill -9 safety', () => {
  it('never records a piece that is not on disk, and a restart keeps every verified piece', { timeout: 120_000 }, async () => {
    const t = f.torrent;
    const verifier = new PieceVerifier(t);
    const rand = prng(20240607);
    const everVerified = new Set<number>();
    for (let round = 0; round < 6; round++) {
      const remaining = t.pieceCount - everVerified.size;
      if (remaining < 4) break;
      const killAfter = 1 + rand(Math.max(1, Math.floor(remaining / 3)));
      const run = await runChild(round + 1, killAfter, rand(4));
      assert.equal(run.done, false, 'the child was killed before finishing');
      for (const p of run.verified) everVerified.add(p);

      const resume = await readResumeFile(paths.resume);
      const recorded = resume ? [...resume.have.indices()] : [];
      for (const p of recorded) {
        assert.ok(everVerified.has(p), `recorded piece ${p} was verified by a child or a restart`);
        assert.ok(verifier.verify(p, pieceOnDisk(t, p)), `recorded piece ${p} is on disk (round ${round})`);
      }

      const { storage, recorder, restored } = await openTorrentStorage(t, { downloadDir: paths.dl, resumePath: paths.resume });
      assert.equal(restored.mode, resume ? (resume.clean ? 'clean' : 'crash') : 'full');
      assert.equal(restored.trusted, recorded.length);
      assert.ok(restored.hashed <= t.pieceCount - recorded.length, 'recorded pieces are not hashed again');
      for (const p of everVerified) assert.ok(storage.hasPiece(p), `verified piece ${p} survived round ${round}`);
      for (const p of storage.bitfield().indices()) {
        assert.ok(verifier.verify(p, pieceOnDisk(t, p)), `had piece ${p} is good`);
        everVerified.add(p); // a check also finds pieces whose blocks reached disk before the kill
      }
      // Alternate: sometimes the restart shuts down cleanly, sometimes it "crashes" too.
      if (round % 2 === 0) await recorder.close();
      else await storage.close();
    }

    const last = await runChild(99, undefined, 0);
    assert.equal(last.done, true);
    const { storage, recorder, restored } = await openTorrentStorage(t, { downloadDir: paths.dl, resumePath: paths.resume });
    assert.deepEqual([restored.mode, restored.hashed, restored.have.complete], ['clean', 0, true]);
    assert.equal(storage.stats().piecesHashed, 0);
    await recorder.close();
  });
});
