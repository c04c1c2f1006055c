/**
 * A tiny HTTP tracker (BEP 3 announce, BEP 23 compact responses) for peers that cannot be
 * told "connect to HOST:PORT" directly — aria2c has no such option, so an aria2 leecher
 * finds its seeder through this tracker (`--bt-tracker=<url>`).
 *
 * Every announce gets the fixed `peers` plus every other peer that announced the same info
 * hash (at the address it connected from, or its `ip=` parameter), minus the asker itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bencode } from '../helpers.js';
import { onCleanup } from './process.js';
import type { Cleanup } from './process.js';

export interface TrackerOptions {
  /** Listen address (default 127.0.0.1). */
  readonly host?: string;
  /** HOST:PORT (IPv4) peers handed to everyone. */
  readonly peers?: readonly string[];
  /** Announce interval in seconds sent to clients (default 5). */
  readonly intervalSeconds?: number;
  readonly cleanup?: Cleanup;
}

export interface AnnounceRecord {
  readonly infoHash: string;
  readonly peer: string;
  readonly event: string | null;
  readonly left: number | null;
  readonly query: Readonly<Record<string, string>>;
}

export interface StaticTracker {
  /** http://host:port/announce */
  readonly url: string;
  readonly announces: readonly AnnounceRecord[];
  close(): Promise<void>;
}

function compactPeer(endpoint: string): Buffer {
  const [host, port] = [endpoint.slice(0, endpoint.lastIndexOf(':')), Number(endpoint.slice(endpoint.lastIndexOf(':') + 1))];
  const octets = host.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || !(port > 0 && port < 65536)) {
    throw new Error(`tracker: not an IPv4 HOST:PORT: ${endpoint}`);
  }
  const b = Buffer.alloc(6);
  octets.forEach((o, i) => b.writeUInt8(o, i));
  b.writeUInt16BE(port, 4);
  return b;
}

/** Percent-decodes a query value into raw bytes (info_hash is binary). */
function decodeBytes(value: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '%' && i + 2 < value.length && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      out.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+') {
      out.push(0x20);
    } else {
      out.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(out);
}

function parseQuery(search: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    m.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? '' : part.slice(eq + 1));
  }
  return m;
}

/** Starts the tracker; resolves once it listens. */
export async function startStaticTracker(o: TrackerOptions = {}): Promise<StaticTracker> {
  const fixed = (o.peers ?? []).map((p) => ({ endpoint: p, bytes: compactPeer(p) }));
  const swarms = new Map<string, Map<string, Buffer>>();
  const announces: AnnounceRecord[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://tracker');
    const q = parseQuery(req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '');
    const reply = (body: Buffer): void => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    };
    if (url.pathname !== '/announce' || !q.has('info_hash') || !q.has('port')) {
      reply(bencode({ 'failure reason': 'expected /announce?info_hash=...&port=...' }));
      return;
    }
    const infoHash = decodeBytes(q.get('info_hash') ?? '').toString('hex');
    const ip = q.get('ip') ?? (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const self = `${ip}:${Number(q.get('port'))}`;
    const query: Record<string, string> = {};
    for (const [k, v] of q) query[k] = k === 'info_hash' || k === 'peer_id' ? decodeBytes(v).toString('hex') : decodeBytes(v).toString('utf8');
    const event = q.get('event') ?? null;
    announces.push({ infoHash, peer: self, event, left: q.has('left') ? Number(q.get('left')) : null, query });
    let swarm = swarms.get(infoHash);
    if (!swarm) swarms.set(infoHash, (swarm = new Map()));
    if (event === 'stopped') swarm.delete(self);
    else {
      try {
        swarm.set(self, compactPeer(self));
      } catch {
        // not IPv4: not listed
      }
    }
    const peers: Buffer[] = [];
    const seen = new Set<string>([self]);
    const add = (endpoint: string, bytes: Buffer): void => {
      if (seen.has(endpoint)) return;
      seen.add(endpoint);
      peers.push(bytes);
    };
    for (const p of fixed) add(p.endpoint, p.bytes);
    for (const [ep, bytes] of swarm) add(ep, bytes);
    const interval = o.intervalSeconds ?? 5;
    reply(bencode({ interval, 'min interval': interval, complete: 0, incomplete: 0, peers: Buffer.concat(peers) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const tracker: StaticTracker = {
    url: `http://${o.host ?? '127.0.0.1'}:${addr.port}/announce`,
    announces,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
  onCleanup(o.cleanup, () => tracker.close());
  return tracker;
}
