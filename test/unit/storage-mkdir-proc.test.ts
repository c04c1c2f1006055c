/**
 * File storage creating directories where none can be made. Node's `mkdir(p, { recursive: true })`
 * never settles under procfs (a libuv thread spins on ENOENT for ever), so storage must use the
 * guarded `makeDirs` (src/runtime/node/mkdirs.ts): the write fails with a typed error instead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageIoError } from '../../src/storage/errors.js';
import { FdCache } from '../../src/runtime/node/disk/fd-cache.js';
import { writeFileAtomic } from '../../src/runtime/node/disk/resume-file.js';
import { within } from '../helpers/within.js';

const onLinux = existsSync('/proc/self');
const UNDER_PROC = '/proc/shoal-nonexistent';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-mkdir-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const typed = (e: unknown) => e instanceof StorageIoError && typeof e.code === 'string';

describe('storage directories that cannot be created', () => {
  it('writeFileAtomic (resume data) under /proc fails with a StorageIoError instead of never returning', { skip: !onLinux }, async () => {
    await assert.rejects(within(writeFileAtomic(join(UNDER_PROC, 'resume', 'x.resume'), new Uint8Array([1])), 10_000), typed);
  });

  it('FdCache opening a file for writing under /proc fails with a StorageIoError and frees its slot', { skip: !onLinux }, async () => {
    const c = new FdCache({ maxOpenFiles: 1 });
    // Without a download directory (the file's own directory is created), and with one under /proc.
    await assert.rejects(within(c.use(join(UNDER_PROC, 'a', 'file.bin'), 'write', async () => undefined), 10_000), typed);
    await assert.rejects(within(c.use(join(UNDER_PROC, 'a', 'file.bin'), 'write', async () => undefined, UNDER_PROC), 10_000), typed);
    assert.equal(c.openFiles, 0);
  });

  it('still creates missing directories in a normal place', async () => {
    const resume = join(dir, 'state', 'resume', 'x.resume');
    await writeFileAtomic(resume, new Uint8Array([7]));
    assert.deepEqual([...readFileSync(resume)], [7]);
    const c = new FdCache({ maxOpenFiles: 2 });
    await c.use(join(dir, 'dl', 'sub', 'a.bin'), 'write', async (fh) => void (await fh.write(new Uint8Array([1, 2]), 0, 2, 0)));
    await c.use(join(dir, 'dl2', 'sub', 'deeper', 'b.bin'), 'write', async () => undefined, join(dir, 'dl2'));
    await c.closeAll();
    assert.equal(statSync(join(dir, 'dl', 'sub', 'a.bin')).size, 2);
    assert.ok(statSync(join(dir, 'dl2', 'sub', 'deeper', 'b.bin')).isFile());
  });
});
