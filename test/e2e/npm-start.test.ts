import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../interop/helpers.js';

describe('npm start (scripts/start.mjs)', () => {
  it('runs the daemon command without rebuilding when the build is current', () => {
    // `npm test` has just built everything, so nothing is newer than dist/.
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'start.mjs'), '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: shoal daemon/);
    assert.doesNotMatch(r.stderr, /building/);
  });
});
