/**
 * `GET /api/torrents/:infoHash/files/:index/stream`: one file of a torrent over HTTP with
 * Range support, so a media player can seek and play while it downloads. Bytes come from the
 * service's FileRangeStream, which waits for pieces and puts the torrent on streaming
 * priority around the range; a client that goes away aborts the read.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import mime from 'mime';
import type { FileRangeStream, TorrentService } from '../types.js';
import { decideRange, type ByteRange } from './range.js';
import type { StreamTickets } from './stream-tickets.js';
import { parseFileIndex, parseInfoHash } from './validate.js';

interface StreamParams {
  infoHash: string;
  index: string;
}

export function registerStreamRoute(app: FastifyInstance, service: TorrentService, tickets: StreamTickets): void {
  // GET and HEAD explicitly: fastify's automatic HEAD route would drain the stream and zero Content-Length.
  app.route<{ Params: StreamParams }>({ method: ['GET', 'HEAD'], url: '/api/torrents/:infoHash/files/:index/stream', config: { queryToken: true }, handler: async (req, reply) =>
    serveFile(service, parseInfoHash(req.params.infoHash), parseFileIndex(req.params.index), req, reply) });

  // A stream URL for the browser: authenticated like the rest of the API, it gives a URL that needs no token.
  app.post<{ Params: StreamParams }>('/api/torrents/:infoHash/files/:index/stream-url', async (req, reply) => {
    const id = parseInfoHash(req.params.infoHash);
    const index = parseFileIndex(req.params.index);
    await service.loadMetadata(id);
    if (!service.details(id).files.some((f) => f.index === index)) return reply.code(404).send({ error: `no file ${index}` });
    const { ticket, expiresAt } = tickets.issue(id, index);
    return reply.code(201).send({ url: `/api/stream/${ticket}`, expiresAt });
  });

  // No token: the 128-bit ticket is the capability, for one file, until it expires.
  app.route<{ Params: { ticket: string } }>({ method: ['GET', 'HEAD'], url: '/api/stream/:ticket', config: { public: true }, handler: async (req, reply) => {
    const t = /^[0-9a-f]{32}$/.test(req.params.ticket) ? tickets.find(req.params.ticket) : undefined;
    if (!t) return reply.code(404).send({ error: 'no such stream URL (it expired, or it was never issued); ask for a new one' });
    return serveFile(service, t.infoHash, t.index, req, reply);
  } });
}

async function serveFile(service: TorrentService, id: string, index: number, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await service.loadMetadata(id);
  const file = service.openFile(id, index);
  const length = file.fileLength;
  const path = service.details(id).files.find((f) => f.index === index)?.path ?? '';

  reply.header('Accept-Ranges', 'bytes');
  reply.header('Cache-Control', 'no-store');
  reply.header('X-Content-Type-Options', 'nosniff');

  const decision = decideRange(req.headers.range, length);
  if (decision.kind === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${length}`);
    return reply.code(416).send({ error: `range not satisfiable: the file has ${length} bytes` });
  }
  reply.header('Content-Type', mime.getType(path) ?? 'application/octet-stream');
  const range: ByteRange = decision.kind === 'partial' ? decision.range : { start: 0, end: length - 1 };
  if (decision.kind === 'partial') {
    reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${length}`);
  }
  reply.header('Content-Length', String(range.end - range.start + 1));
  if (req.method === 'HEAD' || range.end < range.start) return reply.send();

  const abort = new AbortController();
  // 'close' before the last byte means the client hung up: stop waiting for pieces.
  reply.raw.on('close', () => abort.abort());
  // fastify writes the status line with the first byte, so a read that fails before any byte
  // (say the torrent was paused: 409) still gets its own status instead of a cut-off 206.
  return reply.send(Readable.from(readRange(file, range, abort.signal), { objectMode: false }));
}

async function* readRange(file: FileRangeStream, range: ByteRange, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  for await (const chunk of file.read(range.start, range.end, signal)) {
    if (signal.aborted) return;
    yield chunk;
  }
}
