/**
 * `GET /api/torrents/:infoHash/files/:index/stream`: one file of a torrent over HTTP with
 * Range support, so a media player can seek and play while it downloads. Bytes come from the
 * service's FileRangeStream, which waits for pieces and puts the torrent on streaming
 * priority around the range; a client that goes away aborts the read.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import mime from 'mime';
import type { FileRangeStream, TorrentService } from '../types.js';
import { decideRange, type ByteRange } from './range.js';
import { parseFileIndex, parseInfoHash } from './validate.js';

interface StreamParams {
  infoHash: string;
  index: string;
}

export function registerStreamRoute(app: FastifyInstance, service: TorrentService): void {
  // GET and HEAD explicitly: fastify's automatic HEAD route would drain the stream and zero Content-Length.
  app.route<{ Params: StreamParams }>({ method: ['GET', 'HEAD'], url: '/api/torrents/:infoHash/files/:index/stream', config: { queryToken: true }, handler: async (req, reply) => {
    const id = parseInfoHash(req.params.infoHash);
    const index = parseFileIndex(req.params.index);
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
  } });
}

async function* readRange(file: FileRangeStream, range: ByteRange, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  for await (const chunk of file.read(range.start, range.end, signal)) {
    if (signal.aborted) return;
    yield chunk;
  }
}
