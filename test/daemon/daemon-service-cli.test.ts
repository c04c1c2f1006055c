/**
 * `shoal daemon` as a service, as a real process with HOME pointing at a temporary directory:
 * the config file (read at start, written by PATCH /api/settings, flags win for one run,
 * unknown keys kept, malformed files refused naming file and line), the shared state
 * directory and its migration from the old daemon directory, the log file (no token in it),
 * and --print-unit.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Settings } from '../../src/daemon/types.js';
import { CLI_PATH } from '../interop/helpers.js';

let dir: string;
const children: ChildProcess[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-daemon-service-'));
});
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** HOME is the test's; no XDG variable or SHOAL_STATE_DIR leaks in from the runner. */
function envFor(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const k of ['XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_DATA_HOME', 'SHOAL_STATE_DIR', 'JOURNAL_STREAM']) delete env[k];
  return env;
}

interface Daemon {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly token: string;
  readonly exited: Promise<number | null>;
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
  stop(): Promise<number | string>;
}

function startDaemon(home: string, args: readonly string[]): Promise<Daemon> {
  const child = spawn(process.execPath, [CLI_PATH, 'daemon', '--api', '127.0.0.1:0', '--listen', '127.0.0.61:0', '--no-dht', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: envFor(home), cwd: home });
  children.push(child);
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /^web UI: (http:\/\/[^/]+)\/#token=(\S+)$/.exec(line);
      if (!m) return;
      const [, base, token] = m;
      resolve({
        child, lines, token, exited,
        async api<T>(method: string, path: string, body?: unknown) {
          const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
          const text = await res.text();
          return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
        },
        async stop() {
          child.kill('SIGTERM');
          const code = await exited;
          return code ?? `signal ${child.signalCode}: ${lines.join('\n')} ${stderr}`;
        },
      });
    });
    void exited.then((code) => reject(new Error(`daemon exited ${code}: ${stderr}`)));
  });
}

/** Runs the CLI to its end (killed after 20 s: these runs must exit on their own). */
function run(home: string, args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], { env: envFor(home), cwd: home, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function home(name: string): string {
  const h = join(dir, name);
  mkdirSync(h, { recursive: true });
  return h;
}

it('keeps settings changed through the API in the config file across a restart; a flag wins for its run only', async () => {
  const h = home('persist');
  const config = join(h, 'conf', 'shoal.json');
  mkdirSync(join(h, 'conf'));
  writeFileSync(config, JSON.stringify({ uploadRateLimit: 1000, futureKey: { x: 1 } }));
  const flagDir = join(h, 'flag-dl');
  let d = await startDaemon(h, ['--config', config, '--download-dir', flagDir]);
  assert.ok(d.lines.some((l) => l.includes(`${config}: unknown key "futureKey" (kept, not used)`)), d.lines.join('\n'));
  let s = (await d.api<Settings>('GET', '/api/settings')).json;
  assert.deepEqual([s.uploadRateLimit, s.downloadDir], [1000, flagDir]);

  const patched = await d.api<Settings>('PATCH', '/api/settings', { downloadRateLimit: 123_456, maxActiveDownloads: 7 });
  assert.equal(patched.status, 200);
  assert.equal(patched.json.downloadDir, flagDir, 'the flag still applies to this run');
  // Only what was changed is added; the unknown key stays; the flag's value is not written.
  assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')), { uploadRateLimit: 1000, futureKey: { x: 1 }, downloadRateLimit: 123_456, maxActiveDownloads: 7 });
  assert.deepEqual(readdirSync(join(h, 'conf')), ['shoal.json'], 'no temporary file is left behind');
  assert.equal(await d.stop(), 0);

  d = await startDaemon(h, ['--config', config]);
  s = (await d.api<Settings>('GET', '/api/settings')).json;
  assert.deepEqual([s.downloadRateLimit, s.maxActiveDownloads, s.uploadRateLimit, s.downloadDir], [123_456, 7, 1000, join(h, 'Downloads')]);
  // A setting changed through the API while a flag overrode it: the API's value now holds and is kept.
  const newDir = join(h, 'api-dl');
  assert.equal((await d.api('PATCH', '/api/settings', { downloadDir: newDir })).status, 200);
  assert.equal(JSON.parse(readFileSync(config, 'utf8')).downloadDir, newDir);
  assert.equal(await d.stop(), 0);
});

it('keeps the peer, discovery and seeding-limit settings in the config file and categories in the state directory across a restart', async () => {
  const h = home('persist-new');
  const config = join(h, 'config.json');
  const state = join(h, 'state');
  const patch = { listenPort: 51413, portMapping: false, utp: false, pex: false, lsd: false, seedRatioLimit: 1.5, seedTimeLimit: null, seedLimitAction: 'remove' };
  let d = await startDaemon(h, ['--config', config, '--state-dir', state]);
  assert.equal((await d.api('PATCH', '/api/settings', { ...patch, seedTimeLimit: 3600 })).status, 200);
  assert.equal((await d.api('PATCH', '/api/settings', { seedTimeLimit: null })).status, 200);
  assert.equal((await d.api('PUT', '/api/categories/linux%20isos', { savePath: join(h, 'isos') })).status, 200);
  assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')), patch);
  assert.equal(await d.stop(), 0);

  // --listen (127.x) wins over listenPort, which would bind every interface.
  d = await startDaemon(h, ['--config', config, '--state-dir', state]);
  const s = (await d.api<Settings>('GET', '/api/settings')).json;
  for (const [k, v] of Object.entries(patch)) assert.deepEqual(s[k as keyof Settings], v, k);
  assert.deepEqual((await d.api('GET', '/api/categories')).json, [{ name: 'linux isos', savePath: join(h, 'isos') }]);
  const stats = (await d.api<{ nat: { mappings: { state: string }[] } }>('GET', '/api/stats')).json;
  assert.deepEqual(stats.nat.mappings.map((m) => m.state), ['off', 'off']);
  assert.equal(await d.stop(), 0);
});

it('uses $XDG_CONFIG_HOME/shoal/config.json by default and ~/.local/state/shoal for its state', async () => {
  const h = home('xdg');
  const d = await startDaemon(h, []);
  assert.equal((await d.api('PATCH', '/api/settings', { maxConnections: 99 })).status, 200);
  assert.equal(JSON.parse(readFileSync(join(h, '.config', 'shoal', 'config.json'), 'utf8')).maxConnections, 99);
  assert.ok(existsSync(join(h, '.local', 'state', 'shoal', 'api-token')));
  assert.ok(d.lines.some((l) => l.endsWith(`state: ${join(h, '.local', 'state', 'shoal')}`)), d.lines.join('\n'));
  assert.equal(await d.stop(), 0);
});

it('keeps using the old daemon state directory (~/.local/share/shoal) when only it exists, and says so', async () => {
  const h = home('legacy');
  const old = join(h, '.local', 'share', 'shoal');
  mkdirSync(old, { recursive: true });
  const token = 'A'.repeat(43);
  writeFileSync(join(old, 'api-token'), token + '\n', { mode: 0o600 });
  const d = await startDaemon(h, []);
  assert.equal(d.token, token, 'the old directory (and its token) is used');
  assert.ok(d.lines.some((l) => l.includes(`using the daemon state in ${old}`)), d.lines.join('\n'));
  assert.equal(existsSync(join(h, '.local', 'state', 'shoal')), false);
  assert.equal(await d.stop(), 0);
});

it('refuses a malformed config file or a bad value with exit 1, naming the file and the line or key', () => {
  const h = home('malformed');
  const bad = join(h, 'bad.json');
  writeFileSync(bad, '{\n  "downloadRateLimit": 5,\n  "dht": tru\n}\n');
  const r = run(h, ['daemon', '--config', bad, '--no-dht', '--api', '127.0.0.1:0', '--listen', '127.0.0.62:0']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^shoal: ${bad}:3:13: not valid JSON`));
  writeFileSync(bad, JSON.stringify({ maxConnections: 0 }));
  const v = run(h, ['daemon', '--config', bad, '--no-dht', '--api', '127.0.0.1:0', '--listen', '127.0.0.62:0']);
  assert.equal(v.code, 1, v.stderr);
  assert.equal(v.stderr.trim(), `shoal: ${bad}: key "maxConnections": maxConnections must be at least 1`);
  writeFileSync(bad, JSON.stringify({ logLevel: 'loud' }));
  const o = run(h, ['daemon', '--config', bad, '--no-dht']);
  assert.equal(o.code, 1, o.stderr);
  assert.equal(o.stderr.trim(), `shoal: ${bad}: key "logLevel" must be error | warn | info | debug`);
});

it('logs what it does to stdout and <state-dir>/shoal.log, never the API token, at the level asked for', async () => {
  const h = home('log');
  const state = join(h, 'state');
  const config = join(h, 'config.json');
  let d = await startDaemon(h, ['--config', config, '--state-dir', state]);
  // A .torrent too short to parse gives a 400; a magnet is added (paused: nothing leaves loopback).
  const magnet = `magnet:?xt=urn:btih:${'ab'.repeat(20)}&dn=logged`;
  assert.equal((await d.api('POST', '/api/torrents', { magnet, paused: true })).status, 201);
  assert.equal((await d.api('DELETE', `/api/torrents/${'ab'.repeat(20)}`)).status, 204);
  assert.equal(await d.stop(), 0);
  const logText = readFileSync(join(state, 'shoal.log'), 'utf8');
  assert.match(logText, / info {2}added "logged" \(abababababababababababababababababababab\) to /);
  assert.match(logText, / info {2}removed abababababababababababababababababababab/);
  assert.match(logText, / info {2}shutting down/);
  assert.ok(!logText.includes(d.token), 'the token is not in the log file');
  assert.ok(d.lines.some((l) => l.includes('added "logged"')), 'and the same lines go to stdout');

  const before = readFileSync(join(state, 'shoal.log'), 'utf8').length;
  d = await startDaemon(h, ['--config', config, '--state-dir', state, '--log-level', 'error']);
  assert.equal(await d.stop(), 0);
  assert.equal(readFileSync(join(state, 'shoal.log'), 'utf8').length, before, 'nothing below error was logged');
  const bad = run(h, ['daemon', '--config', config, '--log-level', 'loud']);
  assert.equal(bad.code, 2, bad.stderr);
});

it('prints a systemd user unit with absolute node and script paths and the flags given', () => {
  const h = home('unit');
  const r = run(h, ['daemon', '--print-unit', '--api', '127.0.0.1:7979', '--download-dir', join(h, 'my files')]);
  assert.equal(r.code, 0, r.stderr);
  const exec = r.stdout.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.equal(exec, `ExecStart=${process.execPath} ${CLI_PATH} daemon --api 127.0.0.1:7979 --download-dir "${join(h, 'my files')}"`);
  assert.match(r.stdout, /^Restart=on-failure$/m);
  assert.match(r.stdout, /^WantedBy=default.target$/m);
  assert.equal(existsSync(join(h, '.local', 'state', 'shoal')), false, 'printing the unit starts nothing');
});

it('takes over the good settings of an older settings.json in the state directory into the config file', async () => {
  const h = home('legacy-settings');
  const state = join(h, 'state');
  mkdirSync(state);
  writeFileSync(join(state, 'settings.json'), JSON.stringify({ maxConnections: 77, maxActiveDownloads: 0, bogus: 1 }));
  const config = join(h, 'config.json');
  const d = await startDaemon(h, ['--config', config, '--state-dir', state]);
  const s = (await d.api<Settings>('GET', '/api/settings')).json;
  assert.deepEqual([s.maxConnections, s.maxActiveDownloads], [77, 3], 'the bad value keeps its default');
  assert.equal((await d.api('PATCH', '/api/settings', { uploadRateLimit: 5 })).status, 200);
  assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')), { maxConnections: 77, uploadRateLimit: 5 });
  assert.equal(await d.stop(), 0);
});

it('leaves the token out of stdout when stdout is the systemd journal (JOURNAL_STREAM)', async () => {
  const h = home('journal');
  const out = join(h, 'journal.txt');
  const fd = openSync(out, 'w');
  const st = fstatSync(fd);
  const child = spawn(process.execPath, [CLI_PATH, 'daemon', '--api', '127.0.0.1:0', '--listen', '127.0.0.65:0', '--no-dht', '--state-dir', join(h, 'state'), '--config', join(h, 'config.json')],
    { stdio: ['ignore', fd, 'pipe'], env: { ...envFor(h), JOURNAL_STREAM: `${st.dev}:${st.ino}` }, cwd: h });
  children.push(child);
  closeSync(fd);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  for (const deadline = Date.now() + 20_000; !readFileSync(out, 'utf8').includes('config: '); await new Promise((r) => setTimeout(r, 100))) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `the daemon did not start: ${readFileSync(out, 'utf8')}`);
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const text = readFileSync(out, 'utf8');
  const token = readFileSync(join(h, 'state', 'api-token'), 'utf8').trim();
  assert.match(text, new RegExp(`^web UI: http://127\\.0\\.0\\.1:\\d+/ \\(token in ${join(h, 'state', 'api-token')}\\)$`, 'm'));
  assert.ok(!text.includes(token), 'no token in the journal');
});
