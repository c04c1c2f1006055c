/**
 * `GET /metrics`: the service's MetricsSnapshot in the Prometheus text format through
 * prom-client. Each scrape takes one snapshot; the metrics' collect callbacks copy it in.
 * A registry of our own (not prom-client's global one) so several servers in one process,
 * as in the tests, do not share series.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { TORRENT_STATES, type MetricsSnapshot, type TorrentService } from '../types.js';

export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
}

export function createMetrics(service: TorrentService): MetricsEndpoint {
  const registry = new Registry();
  let current: MetricsSnapshot | undefined;
  const snap = (): MetricsSnapshot => (current ??= service.metrics());
  const registers = [registry];

  // Counters mirror totals kept by the service: reset, then add the total. A Prometheus
  // counter never goes down (a drop reads as a restart), so the highest total seen is kept.
  const total = (name: string, help: string, read: (m: MetricsSnapshot) => number): void => {
    let highest = 0;
    new Counter({
      name, help, registers,
      collect() {
        highest = Math.max(highest, read(snap()));
        this.reset();
        this.inc(highest);
      },
    });
  };
  const gauge = (name: string, help: string, read: (m: MetricsSnapshot) => number): void => {
    new Gauge({
      name, help, registers,
      collect() {
        this.set(read(snap()));
      },
    });
  };

  total('shoal_bytes_downloaded_total', 'Payload bytes downloaded from peers.', (m) => m.bytesDownloaded);
  total('shoal_bytes_uploaded_total', 'Payload bytes uploaded to peers.', (m) => m.bytesUploaded);
  total('shoal_piece_hash_failures_total', 'Pieces whose data failed the hash check.', (m) => m.pieceHashFailures);
  total('shoal_dht_lookups_total', 'DHT lookups started.', (m) => m.dhtLookups);
  gauge('shoal_peers', 'Connected peers across all torrents.', (m) => m.peers);
  gauge('shoal_dht_nodes', 'Nodes in the DHT routing table.', (m) => m.dhtNodes);
  gauge('shoal_disk_queue_bytes', 'Bytes waiting to be written to disk.', (m) => m.diskQueueBytes);
  new Gauge({
    name: 'shoal_torrents', help: 'Torrents by state.', labelNames: ['state'], registers,
    collect() {
      for (const state of TORRENT_STATES) this.set({ state }, snap().torrentsByState[state] ?? 0);
    },
  });
  const highestAnnounces = { success: 0, failure: 0 };
  new Counter({
    name: 'shoal_tracker_announces_total', help: 'Tracker announces by result.', labelNames: ['result'], registers,
    collect() {
      this.reset();
      for (const result of ['success', 'failure'] as const) {
        highestAnnounces[result] = Math.max(highestAnnounces[result], snap().trackerAnnounces[result]);
        this.inc({ result }, highestAnnounces[result]);
      }
    },
  });
  new Gauge({
    name: 'shoal_port_mapping_up', help: 'Whether the peer port is mapped on the router (1) or not (0), by protocol.', labelNames: ['protocol'], registers,
    collect() {
      const mappings = snap().nat.mappings;
      for (const protocol of ['tcp', 'udp'] as const) this.set({ protocol }, mappings.some((m) => m.protocol === protocol && m.state === 'mapped') ? 1 : 0);
    },
  });
  new Gauge({
    name: 'shoal_external_address_info', help: 'The external address the router reported (value 1; no series while unknown).', labelNames: ['address'], registers,
    collect() {
      this.reset();
      const address = snap().nat.externalAddress;
      if (address) this.set({ address }, 1);
    },
  });
  new Gauge({
    name: 'shoal_nat_type_info', help: 'What the NAT does with our ports, from the external-address vote (value 1): open, cone, symmetric or unknown; with hole punching on, relay-only or off.',
    labelNames: ['type', 'holepunch'], registers,
    collect() {
      this.reset();
      const nat = snap().nat;
      this.set({ type: nat.natType, holepunch: nat.holepunch }, 1);
    },
  });
  // CPU, memory, event loop lag, GC: cheap, and what a Node dashboard expects.
  collectDefaultMetrics({ register: registry });

  return {
    contentType: registry.contentType,
    async render() {
      current = undefined; // a fresh snapshot for every scrape
      try {
        return await registry.metrics();
      } finally {
        current = undefined;
      }
    },
  };
}
