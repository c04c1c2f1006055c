/**
 * The API token: random, created on the daemon's first start at `<stateDir>/api-token` (mode
 * 0600) and reused afterwards, so a bookmarked `http://host:port/#token=...` keeps working.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirsSync } from '../../runtime/node/mkdirs.js';

export const TOKEN_FILE = 'api-token';

/** What a token read from the file must look like: printable, no spaces, long enough to be unguessable. */
const TOKEN_SHAPE = /^[\x21-\x7e]{16,512}$/;

export function loadOrCreateToken(stateDir: string): string {
  const path = join(stateDir, TOKEN_FILE);
  const existing = readToken(path);
  if (existing !== undefined) return existing;

  makeDirsSync(stateDir, 0o700);
  const token = randomBytes(32).toString('base64url');
  // Write the whole file under a private name, then link it into place: link() fails if the
  // token file already exists, so two daemons starting at once agree on one token and
  // nobody ever reads a half-written file.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, token + '\n', { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const winner = readToken(path);
    if (winner === undefined) throw new Error(`${path} vanished while the daemon was creating it`, { cause: e });
    return winner;
  } finally {
    unlinkSync(tmp);
  }
}

function readToken(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const token = text.trim();
  if (!TOKEN_SHAPE.test(token)) {
    throw new Error(`${path} does not hold a usable API token (16+ printable characters, no spaces); delete it to have a new one created`);
  }
  // Someone widened the permissions (or copied the file in): the token is a password, keep it private.
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return token;
}
