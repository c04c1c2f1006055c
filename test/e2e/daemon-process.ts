/**
 * `shoal daemon` as a child process for end-to-end tests: a temporary state directory, the
 * API on a free loopback port, and the web UI address (with its token) read from the line
 * the daemon prints. The child dies with the test process (setpriv --pdeathsig).
 */
import { join } from 'node:path';
import { CLI_PATH } from '../interop/helpers.js';
import { dieWithParent, startPeerProcess, type Cleanup, type PeerProcess } from '../interop/peers/process.js';

export interface DaemonOptions {
  readonly stateDir: string;
  readonly downloadDir: string;
  /** API address (default 127.0.0.1:0: a free port). */
  readonly api?: string;
  /** Peer listen address (default 127.0.0.1:0). */
  readonly listen?: string;
  /** Extra flags (default: --no-dht, so nothing leaves loopback). */
  readonly extraArgs?: readonly string[];
  readonly cleanup?: Cleanup;
}

export interface ShoalDaemon {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly token: string;
  /** The address the daemon prints for the browser: origin + /#token=... */
  readonly uiUrl: string;
  readonly process: PeerProcess;
  /** Calls the API with the token; throws on a non-2xx status. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** SIGTERM (a clean shutdown that saves resume data), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export async function startShoalDaemon(o: DaemonOptions): Promise<ShoalDaemon> {
  // Always a config file of its own: a test never reads or writes the user's ~/.config/shoal.
  const args = ['daemon', '--state-dir', o.stateDir, '--config', join(o.stateDir, 'config.json'), '--download-dir', o.downloadDir, '--api', o.api ?? '127.0.0.1:0',
    '--listen', o.listen ?? '127.0.0.1:0', ...(o.extraArgs ?? ['--no-dht'])];
  const [cmd, argv] = dieWithParent(process.execPath, [CLI_PATH, ...args]);
  const proc = startPeerProcess(`shoal daemon (${join(o.stateDir)})`, cmd, argv, { cleanup: o.cleanup });
  const line = await proc.waitForLine(/^web UI: http:\/\/\S+\/#token=\S+$/, 30_000, 'the web UI address');
  const m = /^web UI: (http:\/\/[^/]+)\/#token=(\S+)$/.exec(line)!;
  const [, origin, token] = m;
  return {
    origin,
    token,
    uiUrl: `${origin}/#token=${token}`,
    process: proc,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(origin + path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async stop() {
      await proc.stop('SIGTERM', 10_000);
    },
  };
}
