/**
 * A WebTorrent 1.9.7 client (npm `webtorrent`, Node, TCP and uTP through utp-native) as a
 * child process for the interop tests: `node webtorrent-peer.js '<json options>'`. It prints
 * one JSON object per line: listening, ready, wire (each connection, with its transport),
 * progress, done, warning, error. Not a test file itself; peers/webtorrent.ts drives it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface WebTorrentPeerConfig {
  /** A .torrent path or a magnet URI. */
  readonly torrent: string;
  /** The content is (to seed) or goes (to leech) at <dir>/<name>. */
  readonly dir: string;
  /** Peers to dial ("host:port"). */
  readonly peers: readonly string[];
  /** Accept (and, WebTorrent's choice, dial) uTP. */
  readonly utp: boolean;
  readonly port: number;
}

// WebTorrent ships no types; this is the part of its API the peer uses.
interface WtWire {
  readonly type: string;
}
interface WtTorrent {
  readonly infoHash: string;
  readonly name: string;
  readonly done: boolean;
  readonly progress: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly numPeers: number;
  addPeer(addr: string): boolean;
  on(event: 'wire', fn: (wire: WtWire, addr: string) => void): void;
  on(event: 'ready' | 'done' | 'metadata' | 'infoHash', fn: () => void): void;
  on(event: 'warning' | 'error', fn: (e: Error) => void): void;
}
interface WtClient {
  add(input: string | Buffer, opts: { path: string }): WtTorrent;
  address(): { port: number } | null;
  on(event: 'listening', fn: () => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
}
type WtConstructor = new (opts: Record<string, unknown>) => WtClient;

const say = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

const cfg = JSON.parse(process.argv[2] ?? '{}') as WebTorrentPeerConfig;
const WebTorrent = createRequire(import.meta.url)('webtorrent') as WtConstructor;
// Nothing but the peers we are given: no DHT, trackers, local discovery or web seeds.
const client = new WebTorrent({ dht: false, tracker: false, lsd: false, webSeeds: false, utp: cfg.utp, torrentPort: cfg.port });
client.on('error', (e) => say('error', { message: e.message }));
client.on('listening', () => say('listening', { port: client.address()?.port }));
const t = client.add(cfg.torrent.startsWith('magnet:') ? cfg.torrent : readFileSync(cfg.torrent), { path: cfg.dir });
t.on('infoHash', () => {
  for (const p of cfg.peers) t.addPeer(p);
});
// A seeder's data is checked before 'ready'; `done` is still false then, `progress` is 1.
t.on('ready', () => say('ready', { infoHash: t.infoHash, name: t.name, progress: t.progress }));
t.on('wire', (wire, addr) => say('wire', { address: addr, type: wire.type }));
t.on('done', () => say('done', { downloaded: t.downloaded }));
t.on('warning', (e) => say('warning', { message: e.message }));
t.on('error', (e) => say('error', { message: e.message }));
setInterval(() => say('progress', { progress: t.progress, peers: t.numPeers, downloaded: t.downloaded, uploaded: t.uploaded }), 1000).unref();
