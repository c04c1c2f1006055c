/**
 * `POST /api/torrents/bulk`: one action on many torrents. They run together, so their state
 * writes share the store's group commits (one journal write and fsync for the lot) and the
 * swarms stop in parallel; each torrent's result is "ok" or its error message.
 */
import type { BulkAction, TorrentId } from '../types.js';

export interface BulkOps {
  pause(id: TorrentId): Promise<void>;
  resume(id: TorrentId): Promise<void>;
  recheck(id: TorrentId): Promise<void>;
  remove(id: TorrentId, o: { deleteData: boolean }): Promise<void>;
}

export async function runBulk(ops: BulkOps, action: BulkAction, ids: readonly TorrentId[], deleteData: boolean): Promise<Record<TorrentId, string>> {
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const results: Record<TorrentId, string> = {};
  await Promise.all(unique.map(async (id) => {
    try {
      if (action === 'remove') await ops.remove(id, { deleteData });
      else await ops[action](id);
      results[id] = 'ok';
    } catch (e) {
      results[id] = (e as Error).message;
    }
  }));
  return results;
}
