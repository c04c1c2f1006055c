/**
 * Real BitTorrent peers for interop tests and benchmarks: libtorrent (seeder, leecher),
 * Transmission 3.00 in a network namespace, aria2, rtorrent, qBittorrent-nox, and a tiny
 * static tracker.
 * Each start* function waits until its peer is usable and accepts `cleanup` (a test
 * context, or `{ after }` of a suite) so the peer is stopped even when the test fails.
 */
export * from './process.js';
export * from './libtorrent.js';
export * from './transmission.js';
export * from './aria2.js';
export * from './rtorrent.js';
export * from './qbittorrent.js';
export * from './tracker.js';
export { createNetns, netnsAvailable } from '../netns.js';
export type { Netns } from '../netns.js';
export * from './webtorrent.js';
