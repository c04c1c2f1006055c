/** The daemon's HTTP API (docs/api.md), typed with the shapes of src/daemon/types.ts. */
import type {
  ListQuery, Settings, SessionStats, TorrentDetails, TorrentId, TorrentLimits, TorrentPage,
} from '../../src/daemon/types.js';

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
  /** The .torrent file, base64. */
  readonly torrent?: string;
  readonly savePath?: string;
  readonly paused?: boolean;
}

export class Api {
  constructor(
    private readonly token: string,
    /** Called on 401: the token is wrong or was replaced. */
    private readonly onUnauthorized: () => void,
  ) {}

  list(q: ListQuery): Promise<TorrentPage> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
    return this.request('GET', `/api/torrents?${params.toString()}`);
  }
  async add(input: AddInput): Promise<TorrentId> {
    const r = await this.request<{ infoHash: TorrentId }>('POST', '/api/torrents', input);
    return r.infoHash;
  }
  details(id: TorrentId): Promise<TorrentDetails> {
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
  settings(): Promise<Settings> {
    return this.request('GET', '/api/settings');
  }
  updateSettings(patch: Partial<Settings>): Promise<Settings> {
    return this.request('PATCH', '/api/settings', patch);
  }
  stats(): Promise<SessionStats> {
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
