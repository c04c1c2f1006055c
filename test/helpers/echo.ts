/**
 * A stream echo protocol written once against the runtime seam; the tests run it unchanged
 * on the Node runtime and on the simulator. The server writes back every byte it reads and
 * ends its side when the client ends; the client writes a payload in chunks, honouring
 * backpressure, ends, and collects the echo until the stream closes.
 */
import type { Address, ByteStream, Runtime, StreamListener } from '../../src/runtime/types.js';

export interface EchoServer {
  readonly listener: StreamListener;
  /** Connections accepted so far. */
  readonly accepted: () => number;
}

export async function startEchoServer(rt: Runtime, bind: Address): Promise<EchoServer> {
  let accepted = 0;
  const listener = await rt.stream.listen(bind, (s: ByteStream) => {
    accepted++;
    s.onData((data) => {
      s.write(data);
    });
    s.onEnd(() => s.end());
    s.onClose(() => {});
  });
  return { listener, accepted: () => accepted };
}

export interface EchoResult {
  echoed: Uint8Array;
  /** Times `write` returned false. */
  backpressured: number;
  /** How many chunks `onData` delivered. */
  chunkCount: number;
}

/** Connects, sends `payload` in `chunkBytes` pieces, ends, and resolves with what came back. */
export async function echoRoundTrip(rt: Runtime, server: Address, payload: Uint8Array, chunkBytes: number): Promise<EchoResult> {
  const s = await rt.stream.connect(server, { timeoutMs: 5000 });
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let received = 0;
    let backpressured = 0;
    let offset = 0;
    s.onData((data) => {
      parts.push(data.slice());
      received += data.byteLength;
    });
    s.onClose((error) => {
      if (error !== undefined) {
        reject(error);
        return;
      }
      const echoed = new Uint8Array(received);
      let at = 0;
      for (const p of parts) {
        echoed.set(p, at);
        at += p.byteLength;
      }
      resolve({ echoed, backpressured, chunkCount: parts.length });
    });
    const pump = (): void => {
      while (offset < payload.byteLength) {
        const chunk = payload.subarray(offset, Math.min(offset + chunkBytes, payload.byteLength));
        offset += chunk.byteLength;
        if (!s.write(chunk)) {
          backpressured++;
          return; // resume on drain
        }
      }
      s.end();
    };
    s.onDrain(pump);
    pump();
  });
}
