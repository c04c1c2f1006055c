/**
 * An incoming peer connection before we know its torrent: reads the handshake, then hands
 * the stream to the swarm whose info hash it names (or drops it). Shared by the session
 * and by simulations that run swarms without one.
 */
import type { ByteStream, Runtime } from '../runtime/types.js';
import { PeerConnection } from '../wire/index.js';
import type { Swarm } from './swarm.js';

export function routeIncoming(runtime: Runtime, peerId: Uint8Array, stream: ByteStream, swarms: () => Iterable<Swarm>): void {
  const conn = new PeerConnection({ role: 'incoming', peerId, now: runtime.clock.now() });
  stream.onData((bytes) => {
    for (const e of conn.receive(bytes, runtime.clock.now())) {
      if (e.type === 'info_hash') {
        let target: Swarm | undefined;
        for (const s of swarms()) if (s.handshakeHashes.some((h) => Buffer.compare(h, e.infoHash) === 0)) target = s;
        if (!target || !target.acceptIncoming(stream, conn, e.infoHash)) stream.destroy();
        return;
      }
      if (e.type === 'error' || e.type === 'timeout') return stream.destroy();
    }
  });
  stream.onClose(() => conn.close());
}
