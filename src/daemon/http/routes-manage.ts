/**
 * The endpoints that manage torrents beyond add/pause/resume/remove: peers, recheck,
 * reannounce, trackers, move, rename, category and seeding limits, categories, bulk actions,
 * creating a torrent (docs/api.md).
 */
import type { FastifyInstance } from 'fastify';
import type { TorrentService } from '../types.js';
import { bulkBodyLimit, type ApiLimits } from './limits.js';
import { parseFileIndex, parseInfoHash } from './validate.js';
import { parseAddPeer, parseBulk, parseCategory, parseCreate, parseMove, parseRename, parseTorrentPatch, parseTrackers } from './validate-manage.js';
import { checkCategoryName } from '../service/categories.js';
import type { TrackerTiers } from '../types.js';

interface HashParams {
  infoHash: string;
}

export function registerManageRoutes(app: FastifyInstance, service: TorrentService, limits: ApiLimits): void {
  app.post<{ Params: HashParams }>('/api/torrents/:infoHash/peers', async (req, reply) => {
    await service.addPeer(parseInfoHash(req.params.infoHash), parseAddPeer(req.body));
    return reply.code(202).send();
  });

  app.post<{ Params: HashParams }>('/api/torrents/:infoHash/recheck', async (req, reply) => {
    await service.recheck(parseInfoHash(req.params.infoHash));
    return reply.code(202).send();
  });

  app.post<{ Params: HashParams }>('/api/torrents/:infoHash/reannounce', async (req, reply) => {
    await service.reannounce(parseInfoHash(req.params.infoHash));
    return reply.code(202).send();
  });

  app.get<{ Params: HashParams }>('/api/torrents/:infoHash/trackers', async (req) => {
    const id = parseInfoHash(req.params.infoHash);
    await service.loadMetadata(id);
    return service.trackers(id);
  });
  app.put<{ Params: HashParams }>('/api/torrents/:infoHash/trackers', async (req) =>
    service.setTrackers(parseInfoHash(req.params.infoHash), parseTrackers(req.body) as TrackerTiers));

  app.post<{ Params: HashParams }>('/api/torrents/:infoHash/move', async (req, reply) => {
    await service.move(parseInfoHash(req.params.infoHash), parseMove(req.body));
    return reply.code(202).send();
  });

  app.patch<{ Params: HashParams }>('/api/torrents/:infoHash', async (req) => service.patchTorrent(parseInfoHash(req.params.infoHash), parseTorrentPatch(req.body)));

  app.post<{ Params: HashParams & { index: string } }>('/api/torrents/:infoHash/files/:index/rename', async (req, reply) => {
    await service.renameFile(parseInfoHash(req.params.infoHash), parseFileIndex(req.params.index), parseRename(req.body));
    return reply.code(204).send();
  });

  app.get('/api/categories', async () => service.categories());
  app.put<{ Params: { name: string } }>('/api/categories/:name', async (req) => service.setCategory(checkCategoryName(req.params.name), parseCategory(req.body)));
  app.delete<{ Params: { name: string } }>('/api/categories/:name', async (req, reply) => {
    await service.deleteCategory(checkCategoryName(req.params.name));
    return reply.code(204).send();
  });

  app.post('/api/torrents/bulk', { bodyLimit: bulkBodyLimit(limits) }, async (req) => {
    const { action, infoHashes, deleteData } = parseBulk(req.body, limits.maxBulkTorrents);
    return { results: await service.bulk(action, infoHashes, { deleteData }) };
  });

  app.post('/api/create', async (req, reply) => reply.code(201).send(await service.create(parseCreate(req.body))));
}
