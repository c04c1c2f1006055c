/**
 * The DHT as a peer source for `shoal get` / `shoal seed`: joins through the bootstrap
 * nodes, looks the torrent up (again every few minutes), hands peers to the swarm and
 * announces our port. Any failure only means "no DHT": the download goes on without it.
 */
import { Dht } from '../dht/dht.js';
import type { Runtime } from '../runtime/types.js';
import type { Swarm } from '../swarm/swarm.js';
import { DEFAULT_DHT_ROUTERS, resolveBootstrap } from './dht.js';

const RELOOKUP_MS = 5 * 60_000;

export interface DhtPeerSource {
  stop(): void;
}

export async function startDhtPeers(o: { runtime: Runtime; swarm: Swarm; host: string; port: number; bootstrap: readonly string[] }): Promise<DhtPeerSource | undefined> {
  const nodes = await resolveBootstrap(o.bootstrap.length > 0 ? o.bootstrap : DEFAULT_DHT_ROUTERS);
  if (nodes.length === 0) return undefined;
  let dht: Dht;
  try {
    // Same host as our peer listener: an announce records the address the DHT packet came from.
    dht = await Dht.start(o.runtime, { bootstrap: nodes, bind: { host: o.host, port: 0 } });
  } catch {
    return undefined;
  }
  const controller = new AbortController();
  const round = async () => {
    // BEP 5 addresses the torrent by its v1 info hash, or the v2 one truncated to 20 bytes.
    const infoHash = o.swarm.infoHashV1 ?? o.swarm.infoHashV2?.subarray(0, 20);
    if (!infoHash || controller.signal.aborted) return;
    try {
      for await (const peer of dht.peers(infoHash, { signal: controller.signal })) o.swarm.addPeer(peer, 'dht');
      await dht.announce(infoHash, { port: o.port }, { signal: controller.signal });
    } catch {
      // Lookup failed or was cancelled: try again next round.
    }
  };
  void dht.bootstrap().then(round, () => undefined);
  const timer = setInterval(() => void round(), RELOOKUP_MS);
  timer.unref();
  return {
    stop: () => {
      controller.abort();
      clearInterval(timer);
      dht.close();
    },
  };
}
