/**
 * `shoal tracker` sets every limit of the tracker server from a flag (src/cli/tracker.ts):
 * before, the scrape limits, min interval, peer timeout, default numwant and headers timeout
 * had none, and a value like `--numwant 1e9` (reply buffers allocated for it at start) or
 * `--interval 99999999` (a sweep timer past Node's 2^31 ms, which fires at once) was taken.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { decode } from '../../src/bencode/decode.js';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { registerTracker, type TrackerFlagOptions } from '../../src/cli/tracker.js';
import { UsageError } from '../../src/cli/errors.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';

/** Parses `shoal tracker ...args` and returns the options the tracker would start with. */
async function parse(...args: string[]): Promise<TrackerFlagOptions> {
  const program = new Command().exitOverride();
  let got: TrackerFlagOptions | undefined;
  registerTracker(program, async (o) => void (got = o));
  for (const c of program.commands) c.exitOverride();
  await program.parseAsync(['tracker', ...args], { from: 'user' });
  assert.ok(got);
  return got;
}

const rejects = (args: string[], message: RegExp): Promise<void> => assert.rejects(parse(...args), (e: unknown) => e instanceof UsageError && message.test(e.message));

describe('shoal tracker flags', () => {
  it('maps each limit flag onto the server options', async () => {
    const o = await parse('--http', '127.0.0.1:0', '--interval', '600', '--min-interval', '60', '--peer-timeout', '900', '--numwant', '100', '--default-numwant', '30',
      '--max-scrape-hashes', '10', '--max-full-scrape-torrents', '0', '--full-scrape-cache', '5', '--http-headers-timeout', '3', '--max-torrents', '7');
    assert.equal(o.intervalSeconds, 600);
    assert.equal(o.minIntervalSeconds, 60);
    assert.equal(o.peerTimeoutSeconds, 900);
    assert.equal(o.maxNumwant, 100);
    assert.equal(o.defaultNumwant, 30);
    assert.equal(o.maxScrapeHashes, 10);
    assert.equal(o.maxFullScrapeTorrents, 0);
    assert.equal(o.fullScrapeCacheSeconds, 5);
    assert.equal(o.httpHeadersTimeoutMs, 3000);
    assert.equal(o.maxTorrents, 7);
  });

  it('keeps the documented defaults when no flag is given', async () => {
    const o = await parse('--udp', '127.0.0.1:0');
    assert.equal(o.maxScrapeHashes, 74);
    assert.equal(o.maxFullScrapeTorrents, 1000);
    assert.equal(o.fullScrapeCacheSeconds, 30);
    assert.equal(o.minIntervalSeconds, undefined, 'the core derives it from the interval');
    assert.equal(o.defaultNumwant, 50);
    assert.equal(o.httpHeadersTimeoutMs, 10_000);
  });

  it('refuses bad values with a usage error naming the flag and the range', async () => {
    await rejects(['--http', '127.0.0.1:0', '--max-scrape-hashes', '0'], /^--max-scrape-hashes must be an integer of at least 1 \(got "0"\)$/);
    await rejects(['--http', '127.0.0.1:0', '--max-full-scrape-torrents', '-1'], /--max-full-scrape-torrents must be a non-negative integer/);
    await rejects(['--http', '127.0.0.1:0', '--full-scrape-cache', '2.5'], /--full-scrape-cache must be an integer from 0 to 604800/);
    await rejects(['--http', '127.0.0.1:0', '--numwant', '1e9'], /--numwant must be an integer from 0 to 2000/);
    await rejects(['--http', '127.0.0.1:0', '--interval', '99999999'], /--interval must be an integer from 1 to 604800/);
    await rejects(['--http', '127.0.0.1:0', '--interval', '600', '--min-interval', '601'], /--min-interval must be an integer from 1 to 600/);
    await rejects(['--http', '127.0.0.1:0', '--numwant', '20', '--default-numwant', '21'], /--default-numwant must be an integer from 0 to 20/);
    await rejects(['--http', '127.0.0.1:0', '--max-peers', 'lots'], /--max-peers must be an integer of at least 1 \(got "lots"\)/);
    await rejects(['--http', '127.0.0.1:0', '--http-headers-timeout', '0'], /--http-headers-timeout must be an integer from 1/);
    await rejects([], /tracker needs --http and\/or --udp/);
  });

  it('lists the limit flags in --help', () => {
    const program = new Command();
    registerTracker(program);
    const help = program.commands.find((c) => c.name() === 'tracker')!.helpInformation();
    for (const flag of ['--min-interval', '--peer-timeout', '--default-numwant', '--max-scrape-hashes', '--max-full-scrape-torrents', '--full-scrape-cache', '--http-headers-timeout']) assert.ok(help.includes(flag), flag);
  });

  it('a server started from the flags answers scrapes within --max-scrape-hashes and --max-full-scrape-torrents', async () => {
    const o = await parse('--http', '127.0.0.1:0', '--max-scrape-hashes', '3', '--max-full-scrape-torrents', '5');
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, ...o });
    try {
      const hash = (n: number): Uint8Array => new Uint8Array(20).fill(n + 1);
      const req = (n: number): AnnounceRequest => ({ infoHash: hash(n), peerId: new Uint8Array(20).fill(65), port: 6881, uploaded: 0, downloaded: 0, left: 100, event: 'started' });
      for (let n = 0; n < 10; n++) server.core.announce(req(n), `10.2.0.${n + 1}`);
      const base = `http://127.0.0.1:${server.http!.address.port}/scrape`;
      const q = Array.from({ length: 6 }, (_, n) => `info_hash=${'%'.concat((n + 1).toString(16).padStart(2, '0')).repeat(20)}`).join('&');
      const files = async (url: string): Promise<number | undefined> => (decode(new Uint8Array(await (await fetch(url)).arrayBuffer())) as Map<string, Map<string, unknown>>).get('files')?.size;
      assert.equal(await files(`${base}?${q}`), 3);
      assert.equal(await files(base), 5);
    } finally {
      await server.close();
      runtime.close();
    }
  });
});
