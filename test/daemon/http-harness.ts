/**
 * Starts the API server on loopback around a FakeTorrentService and talks to it with
 * node:http, which (unlike fetch) lets a test send any Host header.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../src/daemon/http/server.js';
import type { ApiLimits } from '../../src/daemon/http/limits.js';
import type { TorrentService } from '../../src/daemon/types.js';
import { FakeTorrentService } from './http-fake-service.js';

export const TOKEN = 'test-token-5f1d0c7a9b3e4f21';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON. */
  json(): unknown;
}

export interface RequestOptions {
  /** Default: the server's own host:port. */
  host?: string;
  /** Default: Bearer TOKEN; null sends no Authorization header. */
  auth?: string | null;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

export interface Harness<S extends TorrentService = FakeTorrentService> {
  service: S;
  server: ApiServer;
  port: number;
  /** `127.0.0.1:<port>` */
  hostPort: string;
  request(method: string, path: string, o?: RequestOptions): Promise<Reply>;
  /** Starts a request and returns the response as soon as its headers arrive (streams, SSE). */
  open(method: string, path: string, o?: RequestOptions): Promise<IncomingMessage>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  webRoot?: string;
  limits?: Partial<ApiLimits>;
  wallClock?: () => number;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  return startHarnessFor(new FakeTorrentService(), o);
}

export async function startHarnessFor<S extends TorrentService>(service: S, o: HarnessOptions = {}): Promise<Harness<S>> {
  const webRoot = o.webRoot ?? join(mkdtempSync(join(tmpdir(), 'shoal-web-')), 'missing');
  const server = await startApiServer({ service, host: '127.0.0.1', port: 0, token: TOKEN, webRoot, limits: o.limits, wallClock: o.wallClock });
  const port = server.address.port;
  const hostPort = `127.0.0.1:${port}`;

  const open = (method: string, path: string, ro: RequestOptions = {}): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { host: ro.host ?? hostPort, ...ro.headers };
      const auth = ro.auth === undefined ? `Bearer ${TOKEN}` : ro.auth;
      if (auth !== null) headers.authorization = auth;
      let payload: Buffer | undefined;
      if (ro.body !== undefined) {
        payload = typeof ro.body === 'string' || Buffer.isBuffer(ro.body) ? Buffer.from(ro.body) : Buffer.from(JSON.stringify(ro.body));
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = String(payload.length);
      }
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, resolve);
      req.on('error', reject);
      req.end(payload);
    });

  const request = async (method: string, path: string, ro?: RequestOptions): Promise<Reply> => {
    const res = await open(method, path, ro);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    return { status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) };
  };

  return { service, server, port, hostPort, request, open, close: () => server.close() };
}

/** Collects a streaming response's text as it arrives (without consuming it through an iterator, which would close it). */
export class TextCollector {
  text = '';
  ended = false;
  private wake: (() => void) | undefined;

  constructor(res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (s: string) => {
      this.text += s;
      this.wake?.();
    });
    res.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** Resolves once `predicate(text)` holds; rejects if the stream ends first. */
  async until(predicate: (text: string) => boolean): Promise<string> {
    while (!predicate(this.text)) {
      if (this.ended) throw new Error(`stream ended; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.text;
  }
}

/** Sends raw bytes on a fresh connection and returns everything the server answers before closing. */
export function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => (answer += s));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(answer) : reject(e)));
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}
