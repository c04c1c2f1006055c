/** The daemon's HTTP API (docs/api.md), typed with the shapes of src/daemon/types.ts. */
import type {
  BulkAction, Category, CreatedTorrent, CreateTorrentInput as CreateInput, ListQuery, TorrentId, TorrentLimits, TorrentPage, TorrentPatch, TrackerTiers,
} from '../../src/daemon/types.js';
import type { Details, FullSettings, Stats } from './api-types.js';

/** A list query with the category filter ('' = torrents without a category). */
export type ListParams = ListQuery;
export type Page = TorrentPage;

/** An API answer other than 2xx, with the daemon's own message when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface AddInput {
  readonly magnet?: string;
  /** A .torrent (or magnet) URL the daemon fetches. */
  readonly url?: string;
  readonly category?: string;
  /** The .torrent file, base64. */
  readonly torrent?: string;
  readonly savePath?: string;
  readonly paused?: boolean;
}

export type { BulkAction, Category, CreatedTorrent, CreateTorrentInput as CreateInput, TorrentPatch, TrackerTiers } from '../../src/daemon/types.js';
export interface BulkResult {
  /** "ok" or the reason that torrent failed. */
  readonly results: Readonly<Record<TorrentId, string>>;
}

function torrentPath(id: TorrentId): string {
  return `/api/torrents/${encodeURIComponent(id)}`;
}

export class Api {
  constructor(
    private readonly token: string,
    /** Called on 401: the token is wrong or was replaced. */
    private readonly onUnauthorized: () => void,
  ) {}

  list(q: ListParams): Promise<Page> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && (v !== '' || k === 'category')) params.set(k, String(v));
    return this.request('GET', `/api/torrents?${params.toString()}`);
  }
  async add(input: AddInput): Promise<TorrentId> {
    const r = await this.request<{ infoHash: TorrentId }>('POST', '/api/torrents', input);
    return r.infoHash;
  }
  details(id: TorrentId): Promise<Details> {
    return this.request('GET', `/api/torrents/${encodeURIComponent(id)}`);
  }
  pause(id: TorrentId): Promise<unknown> {
    return this.request('POST', `/api/torrents/${encodeURIComponent(id)}/pause`);
  }
  resume(id: TorrentId): Promise<unknown> {
    return this.request('POST', `/api/torrents/${encodeURIComponent(id)}/resume`);
  }
  remove(id: TorrentId, deleteData: boolean): Promise<unknown> {
    return this.request('DELETE', `/api/torrents/${encodeURIComponent(id)}${deleteData ? '?deleteData=1' : ''}`);
  }
  setFilePriorities(id: TorrentId, priorities: readonly { index: number; priority: number }[]): Promise<unknown> {
    return this.request('PUT', `/api/torrents/${encodeURIComponent(id)}/files/priorities`, priorities);
  }
  setTorrentLimits(id: TorrentId, limits: Partial<TorrentLimits>): Promise<TorrentLimits> {
    return this.request('PATCH', `/api/torrents/${encodeURIComponent(id)}/limits`, limits);
  }
  recheck(id: TorrentId): Promise<unknown> {
    return this.request('POST', `${torrentPath(id)}/recheck`);
  }
  reannounce(id: TorrentId): Promise<unknown> {
    return this.request('POST', `${torrentPath(id)}/reannounce`);
  }
  addPeer(id: TorrentId, address: string): Promise<unknown> {
    return this.request('POST', `${torrentPath(id)}/peers`, { address });
  }
  trackers(id: TorrentId): Promise<TrackerTiers> {
    return this.request('GET', `${torrentPath(id)}/trackers`);
  }
  setTrackers(id: TorrentId, tiers: TrackerTiers): Promise<TrackerTiers> {
    return this.request('PUT', `${torrentPath(id)}/trackers`, tiers);
  }
  move(id: TorrentId, savePath: string): Promise<unknown> {
    return this.request('POST', `${torrentPath(id)}/move`, { savePath });
  }
  patchTorrent(id: TorrentId, patch: TorrentPatch): Promise<Details> {
    return this.request('PATCH', torrentPath(id), patch);
  }
  renameFile(id: TorrentId, index: number, path: string): Promise<unknown> {
    return this.request('POST', `${torrentPath(id)}/files/${index}/rename`, { path });
  }
  /** A short-lived URL for one file that needs no token (the token never goes into a URL the page opens). */
  streamUrl(id: TorrentId, index: number): Promise<{ url: string; expiresAt: number }> {
    return this.request('POST', `${torrentPath(id)}/files/${index}/stream-url`);
  }
  bulk(action: BulkAction, infoHashes: readonly TorrentId[], deleteData = false): Promise<BulkResult> {
    return this.request('POST', '/api/torrents/bulk', { action, infoHashes, ...(deleteData ? { deleteData } : {}) });
  }
  categories(): Promise<readonly Category[]> {
    return this.request('GET', '/api/categories');
  }
  putCategory(name: string, savePath: string): Promise<unknown> {
    return this.request('PUT', `/api/categories/${encodeURIComponent(name)}`, { savePath });
  }
  deleteCategory(name: string): Promise<unknown> {
    return this.request('DELETE', `/api/categories/${encodeURIComponent(name)}`);
  }
  create(input: CreateInput): Promise<CreatedTorrent> {
    return this.request('POST', '/api/create', input);
  }
  settings(): Promise<FullSettings> {
    return this.request('GET', '/api/settings');
  }
  updateSettings(patch: Partial<FullSettings>): Promise<FullSettings> {
    return this.request('PATCH', '/api/settings', patch);
  }
  stats(): Promise<Stats> {
    return this.request('GET', '/api/stats');
  }
  /** EventSource cannot send headers, so the event stream takes the token as a query parameter. */
  eventsUrl(): string {
    return `/api/events?token=${encodeURIComponent(this.token)}`;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, `Cannot reach the daemon (${e instanceof Error ? e.message : String(e)})`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      if (res.status === 401) this.onUnauthorized();
      const message = (json as { error?: unknown } | undefined)?.error;
      throw new ApiError(res.status, typeof message === 'string' && message !== '' ? message : `${method} ${path.split('?')[0]} failed: HTTP ${res.status} ${res.statusText}`);
    }
    return json as T;
  }
}

/** The message to show for anything an API call threw. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
