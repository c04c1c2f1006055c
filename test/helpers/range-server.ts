/**
 * A local HTTP server for web seed tests (BEP 19): serves files from memory with `Range`
 * support and counts the requests; misbehaviours (ignore Range, corrupt bytes, answer with
 * a status, redirect) are switched per path. Not a test file itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RangeRequest {
  readonly path: string;
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

export interface PathBehaviour {
  /** Answer 200 with the whole file. */
  ignoreRange?: boolean;
  /** Flip a byte in every answer. */
  corrupt?: boolean;
  /** Answer with this status (and headers) for the first `times` requests (all when undefined). */
  status?: { code: number; headers?: Record<string, string>; times?: number };
}

export class RangeServer {
  readonly files = new Map<string, Uint8Array>();
  readonly behaviour = new Map<string, PathBehaviour>();
  /** Requests that carried a Range, in order. */
  readonly ranges: RangeRequest[] = [];
  /** Requests being answered now, and the most at once (with `delayMs`). */
  inFlight = 0;
  maxInFlight = 0;
  /** Hold every answer this long (to see concurrency). */
  delayMs = 0;
  /** Every request's path, in order (redirects and errors included). */
  readonly paths: string[] = [];
  private server: http.Server | undefined;
  port = 0;

  constructor(readonly host: string) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, this.host, resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://${this.host}:${this.port}${path}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    if (this.delayMs > 0) setTimeout(() => this.answer(req, res), this.delayMs);
    else this.answer(req, res);
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.paths.push(path);
    const b = this.behaviour.get(path) ?? {};
    if (b.status && (b.status.times === undefined || b.status.times-- > 0)) {
      res.writeHead(b.status.code, b.status.headers ?? {});
      res.end();
      return;
    }
    const file = this.files.get(path);
    if (!file) {
      res.writeHead(404);
      res.end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    let body: Uint8Array = file;
    if (m && !b.ignoreRange) {
      const start = Number(m[1]), end = Math.min(Number(m[2]), file.length - 1);
      this.ranges.push({ path, start, end });
      body = file.subarray(start, end + 1);
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${file.length}`, 'content-length': body.length });
    } else {
      if (m) this.ranges.push({ path, start: Number(m[1]), end: Number(m[2]) });
      res.writeHead(200, { 'content-length': file.length });
    }
    if (b.corrupt) {
      body = Uint8Array.from(body);
      body[0] ^= 0xff;
    }
    res.end(body);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
