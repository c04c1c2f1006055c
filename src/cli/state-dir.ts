/**
 * The one state directory `get`, `seed` and `daemon` share (docs/daemon.md#state-directory):
 * `$SHOAL_STATE_DIR`, else `$XDG_STATE_HOME/shoal`, else `~/.local/state/shoal`. Resume data
 * is state in the XDG sense (it can be rebuilt by checking the files), so not `~/.local/share`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

type Env = NodeJS.ProcessEnv;

/** An XDG variable that is empty or relative is to be ignored (XDG Base Directory spec). */
function xdg(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v && isAbsolute(v) ? v : join(homedir(), fallback);
}

export function defaultStateDir(env: Env = process.env): string {
  return env.SHOAL_STATE_DIR || join(xdg(env, 'XDG_STATE_HOME', join('.local', 'state')), 'shoal');
}

/** Where daemons before the shared directory kept their state: `$XDG_DATA_HOME/shoal` or `~/.local/share/shoal`. */
export function legacyDaemonStateDir(env: Env = process.env): string {
  return join(xdg(env, 'XDG_DATA_HOME', join('.local', 'share')), 'shoal');
}

/**
 * The daemon's default state directory. A user whose torrents are in the old daemon
 * directory keeps them: while the old one holds daemon state and the new one does not
 * exist, the old one is used and `note` says so (never a silent move, never a loss).
 */
export function daemonStateDir(env: Env = process.env): { dir: string; note?: string } {
  const dir = defaultStateDir(env);
  const old = legacyDaemonStateDir(env);
  if (!env.SHOAL_STATE_DIR && !existsSync(dir) && (existsSync(join(old, 'torrents.json')) || existsSync(join(old, 'api-token')))) {
    return { dir: old, note: `using the daemon state in ${old} (older versions kept it there; the default is now ${dir}: move it there, or pass --state-dir, to silence this)` };
  }
  return { dir };
}
