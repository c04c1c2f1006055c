/** Binding a `node:dgram` socket, shared by plain UDP and multicast. */
import type dgram from 'node:dgram';
import { toNetworkError } from './errors.js';

/**
 * Binds `socket` (to `host`, or every address when undefined) and runs `setup` on it once
 * bound. A bind error, or one `setup` throws, closes the socket and rejects with a
 * `NetworkError` saying `what` failed.
 */
export function bindDgram(socket: dgram.Socket, port: number, host: string | undefined, what: string, setup?: (socket: dgram.Socket) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => {
      try {
        socket.close();
      } catch {
        // Never bound.
      }
      reject(toNetworkError(err, what));
    };
    socket.once('error', fail);
    const bound = (): void => {
      try {
        setup?.(socket);
      } catch (e) {
        fail(e);
        return;
      }
      socket.off('error', fail);
      resolve();
    };
    if (host === undefined) socket.bind(port, bound);
    else socket.bind(port, host, bound);
  });
}
