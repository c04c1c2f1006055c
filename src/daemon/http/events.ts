/**
 * `GET /api/events`: the service's events as Server-Sent Events, one `event: <type>` +
 * `data: <json>` per event, with a comment line every 15 s so proxies and browsers keep the
 * connection open and a dead client is noticed.
 *
 * One service subscription serves every open stream (each event is formatted once). What
 * clients can make the daemon hold is bounded: at most `maxEventSubscribers` streams (503
 * past it), `maxEventBytesPerSubscriber` unread bytes each, and `maxEventBytesTotal` unread
 * bytes in all; past the total the streams with the most unread bytes are dropped first.
 */
// Imported, not global: the lint rule keeping timers out of protocol code watches the globals.
import { clearInterval, setInterval } from 'node:timers';
import type { FastifyInstance } from 'fastify';
import type { ServiceEvent, TorrentService } from '../types.js';
import type { ApiLimits } from './limits.js';

export const HEARTBEAT_MS = 15_000;

export function formatEvent(event: ServiceEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export type EventLimits = Pick<ApiLimits, 'maxEventSubscribers' | 'maxEventBytesPerSubscriber' | 'maxEventBytesTotal'>;

/** What the fan-out needs of a response (a ServerResponse; a stand-in in unit tests). */
export interface EventSink {
  readonly writableLength: number;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  write(chunk: string): unknown;
  destroy(): unknown;
  end(): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** The open streams and the one service subscription they share. */
export class EventFanOut {
  private readonly open = new Set<EventSink>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly service: TorrentService,
    private readonly limits: EventLimits,
  ) {}

  get size(): number {
    return this.open.size;
  }

  get full(): boolean {
    return this.open.size >= this.limits.maxEventSubscribers;
  }

  add(res: EventSink): void {
    if (this.open.size === 0) {
      this.unsubscribe = this.service.subscribe((event) => this.send(formatEvent(event)));
      this.heartbeat = setInterval(() => this.send(': heartbeat\n\n'), HEARTBEAT_MS);
    }
    this.open.add(res);
    res.on('close', () => this.remove(res));
  }

  private remove(res: EventSink): void {
    if (!this.open.delete(res) || this.open.size > 0) return;
    clearInterval(this.heartbeat);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Writes `chunk` to every stream, first dropping streams whose unread bytes break a limit. */
  private send(chunk: string): void {
    const size = Buffer.byteLength(chunk);
    const { maxEventBytesPerSubscriber: perStream, maxEventBytesTotal: total } = this.limits;
    let buffered = 0;
    const live: EventSink[] = [];
    for (const res of this.open) {
      if (res.destroyed || res.writableEnded) continue;
      if (res.writableLength > 0 && res.writableLength + size > perStream) res.destroy(); // stopped reading
      else {
        live.push(res);
        buffered += res.writableLength;
      }
    }
    if (buffered + size * live.length > total) {
      // The slowest readers go first, until what stays fits; one that has read everything stays.
      live.sort((a, b) => b.writableLength - a.writableLength);
      while (live.length > 0 && live[0].writableLength > 0 && buffered + size * live.length > total) {
        const res = live.shift()!;
        buffered -= res.writableLength;
        res.destroy();
      }
    }
    for (const res of live) res.write(chunk);
  }

  endAll(): void {
    for (const res of this.open) res.end();
  }
}

/** Registers the route; returns a function that ends every open stream (for shutdown). */
export function registerEventRoute(app: FastifyInstance, service: TorrentService, limits: EventLimits): () => void {
  const fanOut = new EventFanOut(service, limits);

  app.get('/api/events', { config: { queryToken: true } }, (req, reply) => {
    if (fanOut.full) return reply.code(503).header('Retry-After', '10').send({ error: `too many event streams open (at most ${limits.maxEventSubscribers})` });
    reply.hijack(); // from here on the raw response is ours
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.flushHeaders();
    // Tells EventSource to wait 2 s before reconnecting, and the client the stream is live.
    res.write('retry: 2000\n: connected\n\n');
    try {
      fanOut.add(res);
    } catch (e) {
      console.error(`shoal api: subscribing to events failed: ${(e as Error).stack ?? String(e)}`);
      res.destroy();
      return;
    }
    req.raw.on('error', () => res.destroy());
  });

  return () => fanOut.endAll();
}
