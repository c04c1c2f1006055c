/**
 * An incoming peer connection before we know its torrent: reads the handshake, then hands
 * the stream to the swarm whose info hash it names (or drops it). Shared by the session
 * and by simulations that run swarms without one.
 */
import type { ByteStream, Runtime } from '../runtime/types.js';
import { PeerConnection } from '../wire/index.js';
import type { Swarm } from './swarm.js';

/** `find` names the swarm for an info hash from a handshake (v1, or v2 truncated to 20 bytes). */
export function routeIncoming(runtime: Runtime, peerId: Uint8Array, stream: ByteStream, find: (infoHash: Uint8Array) => Swarm | undefined): void {
  const conn = new PeerConnection({ role: 'incoming', peerId, now: runtime.clock.now() });
  stream.onData((bytes) => {
    for (const e of conn.receive(bytes, runtime.clock.now())) {
      if (e.type === 'info_hash') {
        const target = find(e.infoHash);
        if (!target || !target.acceptIncoming(stream, conn, e.infoHash)) stream.destroy();
        return;
      }
      if (e.type === 'error' || e.type === 'timeout') return stream.destroy();
    }
  });
  stream.onClose(() => conn.close());
}
