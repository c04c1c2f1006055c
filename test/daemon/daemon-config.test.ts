/** The daemon's config file parsing and writing, its log file cap, the state directory choice and the systemd unit, without a process. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConfigFile, MAX_API_HOSTS, MAX_CONFIG_BYTES, allowedApiHosts, defaultConfigPath, loadConfig, parseConfig } from '../../src/daemon/config.js';
import { jsonErrorOffset } from '../../src/daemon/json-position.js';
import { DaemonLog } from '../../src/daemon/log.js';
import { daemonStateDir, defaultStateDir } from '../../src/cli/state-dir.js';
import { systemdUnit } from '../../src/cli/systemd-unit.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-daemon-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('config file', () => {
  it('splits settings from start-up options and keeps unknown keys with a warning', () => {
    const c = parseConfig('/c.json', JSON.stringify({ downloadRateLimit: 10, downloadDir: '/data/dl/', api: '127.0.0.1:9000', logLevel: 'debug', later: [1] }));
    assert.deepEqual(c.settings, { downloadRateLimit: 10, downloadDir: '/data/dl' });
    assert.deepEqual(c.options, { api: '127.0.0.1:9000', logLevel: 'debug' });
    assert.deepEqual(c.warnings, ['/c.json: unknown key "later" (kept, not used)']);
    assert.deepEqual(c.raw.later, [1]);
  });

  it('names the line and column of a syntax error, and the key of a bad value', () => {
    assert.throws(() => parseConfig('/c.json', '{\n  "dht": true,\n}'), (e: Error) => e instanceof ConfigError && e.message.startsWith('/c.json:3:1: not valid JSON'));
    assert.throws(() => parseConfig('/c.json', '{"a": 1'), /^ConfigError: \/c\.json:1:8: not valid JSON/);
    assert.throws(() => parseConfig('/c.json', '[]'), /must hold one JSON object/);
    assert.throws(() => parseConfig('/c.json', '{"uploadRateLimit": -1}'), /key "uploadRateLimit": uploadRateLimit must be a non-negative integer/);
    assert.throws(() => parseConfig('/c.json', '{"downloadDir": "relative"}'), /key "downloadDir": downloadDir must be an absolute path/);
    assert.throws(() => parseConfig('/c.json', '{"maxTorrents": 0}'), /key "maxTorrents" must be an integer from 1 to 1000000/);
    assert.throws(() => parseConfig('/c.json', '{"listen": "6881"}'), /key "listen" must be HOST:PORT/);
  });

  it('reads apiHost (the --api-host names: a list or one name); flags given on the command line replace it', () => {
    const list = parseConfig('/c.json', JSON.stringify({ apiHost: ['nas.local', 'torrents.example.org'] }));
    assert.deepEqual(list.options, { apiHost: ['nas.local', 'torrents.example.org'] });
    assert.deepEqual(list.warnings, []);
    assert.deepEqual(parseConfig('/c.json', '{"apiHost": "nas.local"}').options.apiHost, ['nas.local']);
    assert.deepEqual(allowedApiHosts([], list.options), ['nas.local', 'torrents.example.org']);
    assert.deepEqual(allowedApiHosts(['proxy.lan'], list.options), ['proxy.lan']);
    assert.deepEqual(allowedApiHosts([], {}), []);
    for (const bad of ['"nas local"', '["ok.lan", 7]', '["http://nas.local"]', '{}', `${JSON.stringify(Array.from({ length: MAX_API_HOSTS + 1 }, (_, i) => `h${i}.lan`))}`]) {
      assert.throws(() => parseConfig('/c.json', `{"apiHost": ${bad}}`), /key "apiHost" must be a host name/, bad);
    }
  });

  it('finds where JSON goes wrong', () => {
    assert.equal(jsonErrorOffset('{"a": [1, 2,, 3]}'), 12);
    assert.equal(jsonErrorOffset('{"a": "x\\q"}'), 9);
    assert.equal(jsonErrorOffset('{"a": 01}'), 7);
    assert.equal(jsonErrorOffset('{} x'), 3);
    assert.equal(jsonErrorOffset('{"a": nul}'), 9);
  });

  it(`refuses a file over ${MAX_CONFIG_BYTES} bytes; a missing file is an empty config`, () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, `{"x": "${'a'.repeat(MAX_CONFIG_BYTES)}"}`);
    assert.throws(() => loadConfig(big), /config file is larger than 1048576 bytes/);
    assert.deepEqual(loadConfig(join(dir, 'none.json')).exists, false);
  });

  it('writes changed settings over what the file held, atomically and in order', async () => {
    const path = join(dir, 'cfg', 'config.json');
    const file = new ConfigFile(path, { keep: true, downloadRateLimit: 1 });
    await Promise.all([file.write({ downloadRateLimit: 2 }), file.write({ uploadRateLimit: 3 }), file.write({ downloadRateLimit: 4 })]);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { keep: true, downloadRateLimit: 4, uploadRateLimit: 3 });
    assert.deepEqual(readdirSync(join(dir, 'cfg')), ['config.json']);
  });

  it('lives under $XDG_CONFIG_HOME when it is absolute', () => {
    assert.equal(defaultConfigPath({ XDG_CONFIG_HOME: '/x/conf' }), '/x/conf/shoal/config.json');
    assert.equal(defaultConfigPath({ XDG_CONFIG_HOME: 'relative' }), join(homedir(), '.config', 'shoal', 'config.json'));
  });
});

describe('log file', () => {
  it('is capped at maxBytes with one older file kept', () => {
    const file = join(dir, 'logs', 'shoal.log');
    mkdirSync(join(dir, 'logs'));
    const out: string[] = [];
    const log = new DaemonLog({ level: 'info', file, maxBytes: 200, out: (l) => out.push(l), now: () => 0 });
    // Over the cap by the 7th line: rotated, and rotated again; only the newest two files remain.
    for (let i = 0; i < 20; i++) log.info(`line ${i} ${'x'.repeat(20)}`);
    log.debug('not at info');
    assert.equal(out.length, 20);
    assert.ok(readFileSync(file).length <= 200);
    assert.ok(readFileSync(`${file}.1`).length <= 200);
    assert.match(readFileSync(file, 'utf8'), /line 19 /);
    assert.deepEqual(readdirSync(join(dir, 'logs')).sort(), ['shoal.log', 'shoal.log.1']);
  });

  it('keeps one entry on one line', () => {
    const out: string[] = [];
    new DaemonLog({ level: 'debug', out: (l) => out.push(l), now: () => 0 }).warn('a torrent named\nfake 1970 error');
    assert.deepEqual(out, ['1970-01-01T00:00:00.000Z warn  a torrent named fake 1970 error\n']);
  });
});

describe('state directory', () => {
  it('is shared by get, seed and the daemon, and the old daemon directory is kept while the new one is absent', () => {
    const home = join(dir, 'home');
    const env = { XDG_STATE_HOME: join(home, 'state'), XDG_DATA_HOME: join(home, 'data') };
    assert.equal(defaultStateDir(env), join(home, 'state', 'shoal'));
    assert.deepEqual(daemonStateDir(env), { dir: join(home, 'state', 'shoal') });
    mkdirSync(join(home, 'data', 'shoal'), { recursive: true });
    writeFileSync(join(home, 'data', 'shoal', 'torrents.json'), '{}');
    const old = daemonStateDir(env);
    assert.equal(old.dir, join(home, 'data', 'shoal'));
    assert.match(old.note ?? '', /using the daemon state in/);
    mkdirSync(join(home, 'state', 'shoal'), { recursive: true });
    assert.deepEqual(daemonStateDir(env), { dir: join(home, 'state', 'shoal') }, 'once the new one exists it wins');
    assert.equal(defaultStateDir({ SHOAL_STATE_DIR: '/s' }), '/s');
    assert.equal(existsSync(join(home, 'state', 'shoal', 'torrents.json')), false, 'nothing is moved');
  });
});

describe('systemd unit', () => {
  it('quotes what systemd would split or expand', () => {
    const unit = systemdUnit('/usr/bin/node', ['dist/cli.js', 'daemon', '--download-dir', '/home/me/my "50%" $dir', '--print-unit'], '/home/me');
    assert.match(unit, /^ExecStart=\/usr\/bin\/node \/home\/me\/dist\/cli\.js daemon --download-dir "\/home\/me\/my \\"50%%\\" \$\$dir"$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.doesNotMatch(unit.split('\n').find((l) => l.startsWith('ExecStart='))!, /--print-unit/);
  });
});
