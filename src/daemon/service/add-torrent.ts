/**
 * Adding a torrent to the daemon: from a .torrent, a magnet, or the URL of a .torrent the
 * daemon fetches (`UrlFetchLimits`). The metainfo and the record are durable before the call
 * answers (docs/daemon.md#crash-guarantees).
 */
import { ServiceError, type AddTorrentInput, type ServiceEvent, type Settings, type TorrentId } from '../types.js';
import { MAX_TORRENT_FILE_BYTES } from '../http/limits.js';
import { parseInput } from './add-input.js';
import { checkCategoryName, type Categories } from './categories.js';
import { DEFAULT_MAX_TORRENTS, type DaemonServiceOptions } from './options.js';
import { prepareSavePath } from './save-path.js';
import type { StateStore, TorrentRecord } from './state-store.js';
import type { TorrentEntry } from './torrent-entry.js';
import type { TorrentParser } from './torrent-parser.js';
import { DEFAULT_URL_FETCH_TIMEOUT_MS, DEFAULT_URL_MAX_CONCURRENT, DEFAULT_URL_MAX_REDIRECTS, fetchTorrentFile, shownUrl } from './url-fetch.js';

/** What adding needs of the service. */
export interface AddHost {
  readonly o: DaemonServiceOptions;
  readonly store: StateStore;
  readonly entries: Map<TorrentId, TorrentEntry>;
  readonly categories: Categories;
  readonly parser: TorrentParser;
  closed(): boolean;
  settings(): Settings;
  newEntry(record: TorrentRecord): TorrentEntry;
  emit(e: ServiceEvent): void;
  plan(): void;
}

export async function addTorrent(h: AddHost, input: AddTorrentInput): Promise<TorrentId> {
  if (h.closed()) throw new ServiceError(409, 'the daemon is shutting down');
  const maxTorrents = h.o.maxTorrents ?? DEFAULT_MAX_TORRENTS;
  if (h.entries.size >= maxTorrents) throw new ServiceError(409, `the daemon holds its maximum of ${maxTorrents} torrents (--max-torrents); remove one first`);
  const { torrent, magnet, bytes } = await parseInput(input, h.parser);
  if (h.closed()) throw new ServiceError(409, 'the daemon is shutting down');
  if (h.entries.size >= maxTorrents) throw new ServiceError(409, `the daemon holds its maximum of ${maxTorrents} torrents (--max-torrents); remove one first`);
  const id = Buffer.from((torrent?.infoHashV1 ?? torrent?.infoHashV2 ?? magnet?.infoHashV1 ?? magnet?.infoHashV2)!).toString('hex');
  if (h.entries.has(id)) throw new ServiceError(409, `torrent ${id} is already added`);
  if (input.savePath !== undefined && (typeof input.savePath !== 'string' || input.savePath === '')) throw new ServiceError(400, 'savePath must be a directory path');
  const category = input.category === undefined || input.category === '' ? undefined : h.categories.get(checkCategoryName(input.category));
  if (input.category && !category) throw new ServiceError(400, `no category ${JSON.stringify(input.category)}; create it with PUT /api/categories/:name`);
  const savePath = await prepareSavePath(input.savePath ?? category?.savePath ?? h.settings().downloadDir, input.savePath !== undefined || category ? 'savePath' : 'downloadDir');
  if (h.entries.has(id)) throw new ServiceError(409, `torrent ${id} is already added`); // added while we checked the path
  const record: TorrentRecord = {
    id, name: torrent?.name ?? magnet?.name ?? id, savePath,
    addedAt: h.o.wallClock(), paused: input.paused === true, magnet: input.magnet, hasMetadata: torrent !== undefined,
    size: torrent?.length ?? 0, bytesHave: 0, complete: false, downloaded: 0, uploaded: 0,
    ...(category ? { category: category.name } : {}),
  };
  // Durable before we answer: the metainfo first, then the record that names it.
  if (bytes) await h.store.writeMeta(id, bytes);
  const entry = h.newEntry(record);
  entry.torrent = torrent;
  h.entries.set(id, entry);
  try {
    await h.store.put(record);
  } catch (e) {
    h.entries.delete(id);
    throw e;
  }
  h.emit({ type: 'torrent-added', torrent: entry.summary(h.o.runtime.clock.now(), 0) });
  h.plan();
  return id;
}

/** `POST /api/torrents {"url"}`: a magnet, or a .torrent fetched with at most `maxConcurrent` fetches under way. */
export class UrlAdds {
  private fetches = 0;

  constructor(private readonly h: AddHost) {}

  async add(url: string, input: Omit<AddTorrentInput, 'magnet' | 'torrent'>): Promise<TorrentId> {
    if (/^magnet:/i.test(url)) return addTorrent(this.h, { ...input, magnet: url });
    const limits = { maxBytes: MAX_TORRENT_FILE_BYTES, timeoutMs: DEFAULT_URL_FETCH_TIMEOUT_MS, maxRedirects: DEFAULT_URL_MAX_REDIRECTS, ...this.h.o.urlFetch };
    const maxConcurrent = limits.maxConcurrent ?? DEFAULT_URL_MAX_CONCURRENT;
    if (this.fetches >= maxConcurrent) throw new ServiceError(409, `${maxConcurrent} .torrent files are being fetched already; try again when one is done`);
    this.fetches++;
    let bytes: Uint8Array;
    try {
      bytes = await fetchTorrentFile(url, limits);
    } finally {
      this.fetches--;
    }
    try {
      return await addTorrent(this.h, { ...input, torrent: bytes });
    } catch (e) {
      // What came back is not a torrent (an HTML page, say): say so as such.
      if (e instanceof ServiceError && e.status === 400) throw new ServiceError(422, `${shownUrl(url)} did not give a usable .torrent: ${e.message}`);
      throw e;
    }
  }
}
