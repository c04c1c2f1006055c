/**
 * `shoal dht ...`: a standalone Mainline DHT node and one-shot DHT operations on the real
 * network (or any network named with --dht-bootstrap):
 *   node --listen HOST:PORT       run a node until interrupted (saves its table with --state)
 *   lookup <infohash>             get_peers: prints peers and the hop count
 *   announce <infohash> --port P  get_peers + announce_peer
 *   keygen -o FILE                an ed25519 key pair for BEP 44 mutable items
 *   put <value> [--mutable ...]   BEP 44 put; prints the target
 *   get <target|public key>       BEP 44 get; prints the value
 */
import { randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { decode } from '../bencode/index.js';
import { createNodeRuntime, type NodeRuntime } from '../runtime/node/index.js';
import type { Address } from '../runtime/types.js';
import { Dht } from '../dht/dht.js';
import { DhtError } from '../dht/errors.js';
import { generateKeyPair, keyPairFromSeed, type Ed25519KeyPair } from '../dht/ed25519.js';
import { mutableTarget } from '../dht/items.js';
import { idToBytes } from '../dht/node-id.js';
import { UsageError } from './errors.js';
import { hex } from './output.js';

/** The usual public bootstrap routers, used when no --dht-bootstrap is given. */
export const DEFAULT_DHT_ROUTERS = ['router.bittorrent.com:6881', 'dht.transmissionbt.com:6881', 'router.utorrent.com:6881', 'dht.libtorrent.org:25401'];
const DNS_TIMEOUT_MS = 3000;

const collect = (value: string, previous: string[]) => [...previous, value];

interface CommonFlags {
  dhtBootstrap: string[];
  listen?: string;
  listen6?: string;
  json?: boolean;
}

/** Parses HOST:PORT or [V6]:PORT. */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`${flag} wants HOST:PORT, got '${text}'`);
  return { host: m[1], port };
}

/**
 * Resolves bootstrap HOST:PORTs to IP addresses. Names that do not resolve (no network, no
 * DNS) are dropped quietly; the caller reports when none is left.
 */
export async function resolveBootstrap(list: readonly string[]): Promise<Address[]> {
  const out: Address[] = [];
  await Promise.all(list.map(async (text) => {
    const { host, port } = parseHostPort(text, '--dht-bootstrap');
    if (isIP(host)) {
      out.push({ host, port });
      return;
    }
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), DNS_TIMEOUT_MS);
      });
      const a = await Promise.race([dnsLookup(host, { family: 4 }), timeout]).finally(() => clearTimeout(timer));
      out.push({ host: a.address, port });
    } catch {
      // Unresolvable: skipped.
    }
  }));
  return out;
}

function commonOptions(c: Command): Command {
  return c
    .option('--dht-bootstrap <host:port>', 'node to bootstrap from; repeatable (default: the public routers)', collect, [])
    .option('--listen <host:port>', 'UDP address to listen on', '0.0.0.0:0')
    .option('--listen6 <[host]:port>', 'also run an IPv6 node on this UDP address (BEP 32 dual stack), e.g. [::1]:6881')
    .option('--json', 'print one JSON object');
}

/** Starts a node on the real network and bootstraps it. */
async function startNode(flags: CommonFlags, extra: { state?: Uint8Array; readOnly?: boolean; alone?: boolean } = {}): Promise<{ dht: Dht; rt: NodeRuntime }> {
  const names = flags.dhtBootstrap.length > 0 ? flags.dhtBootstrap : DEFAULT_DHT_ROUTERS;
  const bootstrap = await resolveBootstrap(names);
  if (bootstrap.length === 0 && extra.state === undefined && !extra.alone) {
    throw new DhtError(`no DHT bootstrap node could be resolved (${names.join(', ')}); pass --dht-bootstrap HOST:PORT`);
  }
  const rt = createNodeRuntime();
  let dht: Dht;
  try {
    dht = await Dht.start(rt, {
      bind: parseHostPort(flags.listen ?? '0.0.0.0:0', '--listen'), bootstrap, randomBytes: (n) => new Uint8Array(randomBytes(n)),
      bind6: flags.listen6 === undefined ? undefined : parseHostPort(flags.listen6, '--listen6'),
      state: extra.state, readOnly: extra.readOnly,
    });
  } catch (e) {
    rt.close();
    throw new DhtError(`cannot listen on ${flags.listen}${flags.listen6 ? ` and ${flags.listen6}` : ''}: ${(e as Error).message}`);
  }
  const nodes = await dht.bootstrap();
  if (nodes === 0 && !extra.alone) {
    dht.close();
    rt.close();
    throw new DhtError(`no DHT node answered (tried ${bootstrap.map((a) => `${a.host}:${a.port}`).join(', ') || 'saved nodes'})`);
  }
  return { dht, rt };
}

async function withNode<T>(flags: CommonFlags, fn: (dht: Dht) => Promise<T>): Promise<T> {
  const { dht, rt } = await startNode(flags);
  try {
    return await fn(dht);
  } finally {
    dht.close();
    rt.close();
  }
}

function parseId(text: string, what: string, bytes = 20): Uint8Array {
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(text)) throw new UsageError(`${what} must be ${bytes * 2} hex digits, got '${text}'`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

const out = (flags: { json?: boolean }, json: unknown, text: string): void => {
  process.stdout.write(flags.json ? JSON.stringify(json) + '\n' : text + '\n');
};

/** Reads a key file written by `shoal dht keygen`. */
export function readKeyFile(path: string): Ed25519KeyPair {
  let parsed: { seed?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as { seed?: unknown };
  } catch (e) {
    throw new DhtError(`cannot read key file ${path}: ${(e as Error).message}`);
  }
  if (typeof parsed.seed !== 'string' || !/^[0-9a-f]{64}$/i.test(parsed.seed)) throw new DhtError(`key file ${path} has no 64-hex-digit 'seed'`);
  return keyPairFromSeed(Uint8Array.from(Buffer.from(parsed.seed, 'hex')));
}

/** A BEP 44 value printed for people: a UTF-8 byte string as text, anything else as bencode. */
function showValue(v: Uint8Array): string {
  try {
    const d = decode(v);
    if (d instanceof Uint8Array) return new TextDecoder('utf-8', { fatal: true }).decode(d);
  } catch {
    // not a valid UTF-8 byte string: show the bencode
  }
  return Buffer.from(v).toString('latin1');
}

export function registerDht(program: Command): void {
  const dht = program.command('dht').description('Mainline DHT: run a node, look up peers, BEP 44 put/get');

  commonOptions(dht.command('node').description('run a standalone DHT node until interrupted'))
    .option('--state <file>', 'load the routing table from FILE at start and save it there on exit')
    .option('--read-only', 'BEP 43 read-only mode: answer no queries')
    .action(async (flags: CommonFlags & { state?: string; readOnly?: boolean }) => {
      const state = flags.state !== undefined && existsSync(flags.state) ? new Uint8Array(readFileSync(flags.state)) : undefined;
      // A node may be the first of its network: it keeps running with nobody to join, and others join it.
      const { dht: d, rt } = await startNode(flags, { state, readOnly: flags.readOnly, alone: true });
      const a6 = d.address6 === undefined ? undefined : `[${d.address6.host}]:${d.address6.port}`;
      out(flags, { id: hex(d.id), address: `${d.address.host}:${d.address.port}`, address6: a6 ?? null, nodes: d.size },
        `DHT node ${hex(d.id)} listening on ${d.address.host}:${d.address.port}${a6 ? ` and ${a6}` : ''}, ${d.size} nodes in the routing table`);
      if (d.size === 0) process.stderr.write('shoal: no DHT bootstrap node answered; running alone until other nodes join\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      if (flags.state !== undefined) {
        writeFileSync(`${flags.state}.partial`, d.saveState());
        renameSync(`${flags.state}.partial`, flags.state);
      }
      d.close();
      rt.close();
    });

  commonOptions(dht.command('lookup').description('find peers for an info hash (get_peers)').argument('<infohash>', '40 hex digits'))
    .action(async (infoHash: string, flags: CommonFlags) => {
      const ih = parseId(infoHash, 'the info hash');
      const r = await withNode(flags, (d) => d.getPeers(ih));
      const peers = r.peers.map((p) => (p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`));
      const hops = r.firstPeers?.hop ?? r.stats.hops;
      out(flags, { infoHash: infoHash.toLowerCase(), peers, hops, queried: r.stats.queried, responded: r.stats.responded, ms: Math.round(r.stats.durationMs) },
        [`${peers.length} peers (hops ${hops}, ${r.stats.responded}/${r.stats.queried} nodes answered)`, ...peers].join('\n'));
    });

  commonOptions(dht.command('announce').description('announce a peer for an info hash (get_peers + announce_peer)').argument('<infohash>', '40 hex digits'))
    .option('--port <port>', 'the peer port to announce')
    .option('--implied-port', 'announce the UDP source port instead (BEP 5 implied_port)')
    .action(async (infoHash: string, flags: CommonFlags & { port?: string; impliedPort?: boolean }) => {
      const ih = parseId(infoHash, 'the info hash');
      const port = Number(flags.port ?? 0);
      if (!flags.impliedPort && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UsageError('--port must be in 1-65535 (or use --implied-port)');
      const r = await withNode(flags, (d) => d.announce(ih, { port, impliedPort: flags.impliedPort }));
      out(flags, { infoHash: infoHash.toLowerCase(), announcedTo: r.announcedTo }, `announced to ${r.announcedTo} nodes`);
      if (r.announcedTo === 0) throw new DhtError('no node accepted the announce');
    });

  dht.command('keygen').description('write a new ed25519 key pair for BEP 44 mutable items')
    .requiredOption('-o, --output <file>', 'key file to write (mode 0600)')
    .action((flags: { output: string }) => {
      const kp = generateKeyPair();
      writeFileSync(flags.output, JSON.stringify({ type: 'ed25519', seed: hex(kp.seed), publicKey: hex(kp.publicKey) }) + '\n', { mode: 0o600 });
      process.stdout.write(`${hex(kp.publicKey)}\n`);
    });

  commonOptions(dht.command('put').description('store a value in the DHT (BEP 44); prints the target').argument('<value>', 'the value (stored as a byte string)'))
    .option('--mutable', 'a mutable item signed with --key')
    .option('--key <file>', 'key file from `shoal dht keygen`')
    .option('--salt <salt>', 'salt (mutable items)')
    .option('--seq <n>', 'sequence number (default: one more than the one found)')
    .action(async (value: string, flags: CommonFlags & { mutable?: boolean; key?: string; salt?: string; seq?: string }) => {
      const v = new TextEncoder().encode(value);
      if (!flags.mutable) {
        if (flags.key || flags.salt || flags.seq) throw new UsageError('--key, --salt and --seq need --mutable');
        const r = await withNode(flags, (d) => d.putImmutable(v, { keep: false }));
        if (r.storedAt === 0) throw new DhtError('no node stored the item');
        out(flags, { target: hex(idToBytes(r.target)), publicKey: null, seq: null }, hex(idToBytes(r.target)) ?? '');
        return;
      }
      if (flags.key === undefined) throw new UsageError('--mutable needs --key FILE');
      const keyPair = readKeyFile(flags.key);
      const seq = flags.seq === undefined ? undefined : BigInt(/^\d+$/.test(flags.seq) ? flags.seq : NaN);
      const salt = flags.salt === undefined ? undefined : new TextEncoder().encode(flags.salt);
      const r = await withNode(flags, (d) => d.putMutable({ keyPair, value: v, salt, seq }, { keep: false }));
      if (r.storedAt === 0) throw new DhtError(`no node stored the item${r.errors.length > 0 ? ` (${r.errors[0].message})` : ''}`);
      out(flags, { target: hex(idToBytes(r.target)), publicKey: hex(keyPair.publicKey), seq: Number(r.seq) }, hex(idToBytes(r.target)) ?? '');
    });

  commonOptions(dht.command('get').description('read a value from the DHT (BEP 44)').argument('<target>', 'target (40 hex digits) or public key (64 hex digits)'))
    .option('--salt <salt>', 'salt (mutable items)')
    .action(async (arg: string, flags: CommonFlags & { salt?: string }) => {
      const salt = flags.salt === undefined ? undefined : new TextEncoder().encode(flags.salt);
      const target = arg.length === 64 ? idToBytes(mutableTarget(parseId(arg, 'the public key', 32), salt)) : parseId(arg, 'the target');
      const r = await withNode(flags, (d) => d.get(target, { salt }));
      if (r.item === undefined) throw new DhtError(`no value found for ${hex(target)}`);
      const seq = r.item.seq === undefined ? null : Number(r.item.seq);
      out(flags, { value: showValue(r.item.v), seq }, showValue(r.item.v));
    });
}
