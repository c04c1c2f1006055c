/** The JSON endpoints under /api: torrents, file priorities, settings, stats. */
import type { FastifyInstance } from 'fastify';
import type { TorrentService } from '../types.js';
import type { ApiLimits } from './limits.js';
import { parseAddTorrent, parseFilePage, parseFilePriorities, parseFlag, parseInfoHash, parseListQuery, parseSettingsPatch, parseTorrentLimits } from './validate.js';

interface HashParams {
  infoHash: string;
}

export function registerApiRoutes(app: FastifyInstance, service: TorrentService, limits: ApiLimits): void {
  app.get('/api/torrents', async (req) => service.list(parseListQuery(req.query as Record<string, unknown>)));

  app.post('/api/torrents', { bodyLimit: limits.addTorrentBodyLimit }, async (req, reply) => {
    const { url, ...input } = parseAddTorrent(req.body);
    const infoHash = url === undefined ? await service.add(input) : await service.addUrl(url, input);
    return reply.code(201).send({ infoHash });
  });

  app.get<{ Params: HashParams }>('/api/torrents/:infoHash', async (req) => {
    const id = parseInfoHash(req.params.infoHash);
    const page = parseFilePage(req.query as Record<string, unknown>, limits.maxFilesPerPage);
    await service.loadMetadata(id);
    return service.details(id, page);
  });

  app.post<{ Params: HashParams }>('/api/torrents/:infoHash/pause', async (req, reply) => {
    await service.pause(parseInfoHash(req.params.infoHash));
    return reply.code(204).send();
  });

  app.post<{ Params: HashParams }>('/api/torrents/:infoHash/resume', async (req, reply) => {
    await service.resume(parseInfoHash(req.params.infoHash));
    return reply.code(204).send();
  });

  app.delete<{ Params: HashParams }>('/api/torrents/:infoHash', async (req, reply) => {
    const id = parseInfoHash(req.params.infoHash);
    await service.remove(id, { deleteData: parseFlag(req.query as Record<string, unknown>, 'deleteData') });
    return reply.code(204).send();
  });

  app.route<{ Params: HashParams }>({
    method: ['PUT', 'POST'],
    url: '/api/torrents/:infoHash/files/priorities',
    handler: async (req, reply) => {
      const id = parseInfoHash(req.params.infoHash);
      const priorities = parseFilePriorities(req.body);
      await service.loadMetadata(id);
      service.setFilePriorities(id, priorities);
      return reply.code(204).send();
    },
  });

  app.patch<{ Params: HashParams }>('/api/torrents/:infoHash/limits', async (req) =>
    service.setTorrentLimits(parseInfoHash(req.params.infoHash), parseTorrentLimits(req.body)));

  app.get('/api/settings', async () => service.settings());
  app.patch('/api/settings', async (req) => service.updateSettings(parseSettingsPatch(req.body)));
  app.get('/api/stats', async () => service.stats());
}
