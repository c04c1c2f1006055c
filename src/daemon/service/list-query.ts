/** GET /api/torrents: filter, sort and page torrent summaries (ListQuery). */
import { ServiceError, TORRENT_STATES, type ListQuery, type TorrentPage, type TorrentSummary } from '../types.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

const SORT_KEYS = ['name', 'addedAt', 'progress', 'downloadRate', 'uploadRate', 'size'] as const;
type SortKey = (typeof SORT_KEYS)[number];

export function checkQuery(q: ListQuery): void {
  if (q.state !== undefined && !TORRENT_STATES.includes(q.state)) throw new ServiceError(400, `unknown state: ${String(q.state)}`);
  if (q.sort !== undefined && !(SORT_KEYS as readonly string[]).includes(q.sort)) throw new ServiceError(400, `cannot sort by ${String(q.sort)}`);
  if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc') throw new ServiceError(400, 'order must be asc or desc');
  if (q.offset !== undefined && (!Number.isSafeInteger(q.offset) || q.offset < 0)) throw new ServiceError(400, 'offset must be a non-negative integer');
  if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_PAGE)) throw new ServiceError(400, `limit must be 1..${MAX_PAGE}`);
}

function compare(key: SortKey): (a: TorrentSummary, b: TorrentSummary) => number {
  if (key === 'name') return (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.infoHash < b.infoHash ? -1 : 1);
  return (a, b) => a[key] - b[key] || (a.infoHash < b.infoHash ? -1 : 1);
}

/**
 * One page of `all` (in addition order). Filtering is one pass; sorting by addition order
 * (the default) costs nothing more, other keys sort only the filtered torrents.
 */
export function queryPage(all: Iterable<TorrentSummary>, q: ListQuery): TorrentPage {
  checkQuery(q);
  const needle = q.search?.toLowerCase();
  const matching: TorrentSummary[] = [];
  for (const t of all) {
    if (q.state !== undefined && t.state !== q.state) continue;
    if (q.category !== undefined && t.category !== q.category) continue;
    if (needle && !t.name.toLowerCase().includes(needle) && !t.infoHash.includes(needle)) continue;
    matching.push(t);
  }
  const key = q.sort ?? 'addedAt';
  if (key !== 'addedAt') matching.sort(compare(key));
  if (q.order === 'desc') matching.reverse();
  const offset = q.offset ?? 0;
  const limit = q.limit ?? DEFAULT_PAGE;
  return { total: matching.length, offset, torrents: matching.slice(offset, offset + limit) };
}
