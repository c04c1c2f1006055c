/**
 * `GET /api/events`: the service's events as Server-Sent Events, one `event: <type>` +
 * `data: <json>` per event, with a comment line every 15 s so proxies and browsers keep the
 * connection open and a dead client is noticed.
 */
import type { ServerResponse } from 'node:http';
// Imported, not global: the lint rule keeping timers out of protocol code watches the globals.
import { clearInterval, setInterval } from 'node:timers';
import type { FastifyInstance } from 'fastify';
import type { ServiceEvent, TorrentService } from '../types.js';

export const HEARTBEAT_MS = 15_000;
/** A client that lets this much pile up unread is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export function formatEvent(event: ServiceEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Registers the route; returns a function that ends every open stream (for shutdown). */
export function registerEventRoute(app: FastifyInstance, service: TorrentService): () => void {
  const open = new Set<ServerResponse>();

  app.get('/api/events', { config: { queryToken: true } }, (req, reply) => {
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

    const send = (chunk: string): void => {
      if (res.destroyed || res.writableEnded) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
      else res.write(chunk);
    };
    let unsubscribe: () => void;
    try {
      unsubscribe = service.subscribe((event) => send(formatEvent(event)));
    } catch (e) {
      console.error(`shoal api: subscribing to events failed: ${(e as Error).stack ?? String(e)}`);
      res.destroy();
      return;
    }
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), HEARTBEAT_MS);
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      clearInterval(heartbeat);
      unsubscribe();
    });
    req.raw.on('error', () => res.destroy());
  });

  return () => {
    for (const res of open) res.end();
  };
}
