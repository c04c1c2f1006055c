/**
 * Byte streams over `node:net` (TCP). Sockets are half-open capable (`allowHalfOpen`) so
 * `end()` really is a half-close, matching the seam and the simulator: a stream closes
 * once both sides have ended, or at once on `destroy()` or an error.
 */
import net from 'node:net';
import { copyBytes } from '../../util/bytes.js';
import type { Address, ByteStream, ConnectOptions, StreamListener, Streams } from '../types.js';
import { NetworkError, formatAddress } from '../types.js';
import { toNetworkError } from './errors.js';
import type { ResourceTracker } from './resources.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The reused read buffer of a `reuseReadBuffer` stream: bigger than Node's 64 KiB, so one read takes more. */
const READ_BUFFER_BYTES = 256 * 1024;

class NodeByteStream implements ByteStream {
  readonly local: Address;
  readonly remote: Address;
  private readonly socket: net.Socket;
  private readonly tracker: ResourceTracker;
  private error: Error | undefined;
  private dataHandler: ((data: Uint8Array) => void) | null = null;
  private endHandler: (() => void) | null = null;
  private closeHandler: ((error?: Error) => void) | null = null;
  private drainHandler: (() => void) | null = null;
  private ended = false;
  private endNotified = false;
  private closed = false;
  private closeNotified = false;
  /** Chunks read (into the reused buffer, so copied) before `onData` was attached. */
  private early: Uint8Array[] | undefined;
  readonly volatileData: boolean;

  constructor(socket: net.Socket, tracker: ResourceTracker, volatileData = false) {
    this.volatileData = volatileData;
    this.socket = socket;
    this.tracker = tracker;
    this.local = { host: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    this.remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    socket.setNoDelay(true);
    socket.on('error', (err) => {
      this.error ??= toNetworkError(err, `stream ${formatAddress(this.remote)}`);
    });
    socket.on('end', () => {
      this.ended = true;
      this.notifyEnd();
    });
    socket.on('drain', () => {
      const h = this.drainHandler;
      if (h !== null) h();
    });
    socket.on('close', () => {
      this.closed = true;
      this.tracker.delete(this);
      this.notifyClose();
    });
    tracker.add(this);
  }

  get bufferedBytes(): number {
    return this.socket.destroyed ? 0 : this.socket.writableLength;
  }

  write(data: Uint8Array): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(data);
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.socket.destroyed) return false;
    // Corked writes leave as one writev(2) when uncorked.
    this.socket.cork();
    let ok = true;
    for (const c of chunks) ok = this.socket.write(c) && ok;
    this.socket.uncork();
    return ok;
  }

  end(): void {
    this.socket.end();
  }

  destroy(error?: Error): void {
    if (error !== undefined) this.error ??= error;
    this.socket.destroy();
  }

  /** For the resource tracker: closing a runtime destroys its streams. */
  close(): void {
    this.destroy();
  }

  /** For a reused read buffer (net's `onread`): hands the bytes to the handler, or keeps a copy until there is one. */
  deliver(bytes: Uint8Array): void {
    const h = this.dataHandler;
    if (h !== null) h(bytes);
    else (this.early ??= []).push(copyBytes(bytes));
  }

  onData(handler: (data: Uint8Array) => void): void {
    const first = this.dataHandler === null;
    this.dataHandler = handler;
    if (this.volatileData) {
      const early = this.early;
      this.early = undefined;
      for (const chunk of early ?? []) handler(chunk);
      return;
    }
    // Attaching 'data' starts the flow; until then Node buffers what arrives.
    if (first) {
      this.socket.on('data', (chunk: Buffer) => {
        const h = this.dataHandler;
        if (h !== null) h(chunk);
      });
    }
  }

  onEnd(handler: () => void): void {
    this.endHandler = handler;
    if (this.ended && !this.endNotified) queueMicrotask(() => this.notifyEnd());
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    if (this.closed && !this.closeNotified) queueMicrotask(() => this.notifyClose());
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }

  private notifyEnd(): void {
    const h = this.endHandler;
    if (h === null || this.endNotified) return;
    this.endNotified = true;
    h();
  }

  private notifyClose(): void {
    const h = this.closeHandler;
    if (h === null || this.closeNotified) return;
    this.closeNotified = true;
    h(this.error);
  }
}

class NodeStreamListener implements StreamListener {
  readonly address: Address;
  private readonly server: net.Server;
  private readonly tracker: ResourceTracker;
  private closed = false;

  constructor(server: net.Server, tracker: ResourceTracker) {
    this.server = server;
    this.tracker = tracker;
    const a = server.address();
    this.address = typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : { host: '', port: 0 };
    tracker.add(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tracker.delete(this);
    this.server.close();
  }
}

export class NodeStreams implements Streams {
  private readonly tracker: ResourceTracker;
  private readonly defaultTimeoutMs: number;

  constructor(tracker: ResourceTracker, defaultTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS) {
    this.tracker = tracker;
    this.defaultTimeoutMs = defaultTimeoutMs;
  }

  listen(address: Address, onConnection: (stream: ByteStream) => void): Promise<StreamListener> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true }, (socket) => {
        onConnection(new NodeByteStream(socket, this.tracker));
      });
      const onError = (err: Error): void => {
        reject(toNetworkError(err, `cannot listen on ${formatAddress(address)}`));
      };
      server.once('error', onError);
      server.listen({ host: address.host, port: address.port }, () => {
        server.off('error', onError);
        // Accept errors after listening (e.g. EMFILE) drop that connection only.
        server.on('error', () => {});
        resolve(new NodeStreamListener(server, this.tracker));
      });
    });
  }

  connect(address: Address, options?: ConnectOptions): Promise<ByteStream> {
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      let stream: NodeByteStream | undefined;
      const onread = options?.reuseReadBuffer
        ? { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (n: number, buf: Uint8Array): boolean => {
              stream?.deliver(buf.subarray(0, n));
              return true;
            } }
        : undefined;
      const localAddress = options?.localHost;
      const socket = net.connect({ host: address.host, port: address.port, allowHalfOpen: true, onread, ...(localAddress ? { localAddress } : {}) });
      const timer = setTimeout(() => {
        socket.off('error', onError);
        socket.on('error', () => {});
        socket.destroy();
        reject(new NetworkError('ETIMEDOUT', `connect to ${formatAddress(address)} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(toNetworkError(err, `cannot connect to ${formatAddress(address)}`));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve((stream = new NodeByteStream(socket, this.tracker, onread !== undefined)));
      });
    });
  }
}
