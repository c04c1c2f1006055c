/**
 * The one request / response shape every tracker transport normalises to (practice 7):
 * the HTTP and UDP codecs, on both the client and the server side, read and write these.
 */
import type { Address } from '../runtime/types.js';

export type AnnounceEvent = 'none' | 'started' | 'completed' | 'stopped';

export interface AnnounceRequest {
  /** 20 bytes. */
  readonly infoHash: Uint8Array;
  /** 20 bytes. */
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event: AnnounceEvent;
  /** Peers wanted; undefined = the tracker's default. */
  readonly numwant?: number;
  /** The client's `key` (UDP: 32 bits). */
  readonly key?: number;
  /** An explicit IP the client asked to be listed at (HTTP `ip=`, UDP `ip` field). */
  readonly ip?: string;
  /** HTTP only: ask for a compact peer list (default true). */
  readonly compact?: boolean;
  /** HTTP only: echo of a previous `tracker id`. */
  readonly trackerId?: string;
}

export interface TrackerPeer extends Address {
  /** From dictionary-model peer lists only. */
  readonly peerId?: Uint8Array;
}

export interface AnnounceResponse {
  /** Seconds until the next regular announce. */
  readonly interval: number;
  readonly minInterval?: number;
  readonly trackerId?: string;
  readonly warning?: string;
  /** Seeders, when the tracker said. */
  readonly complete?: number;
  /** Leechers, when the tracker said. */
  readonly incomplete?: number;
  /** IPv4 and IPv6 peers together (BEP 23 `peers`, BEP 7 `peers6`, dictionary model). */
  readonly peers: readonly TrackerPeer[];
  /** HTTP only: the address the tracker saw the request come from (`external ip`, 4 or 16 bytes; libtorrent sends it). */
  readonly externalIp?: string;
}

export interface ScrapeStats {
  readonly complete: number;
  readonly downloaded: number;
  readonly incomplete: number;
}

/** Per info hash (hex) counts. */
export type ScrapeResponse = ReadonlyMap<string, ScrapeStats>;
