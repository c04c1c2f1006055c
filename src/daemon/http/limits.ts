/**
 * Everything a client of the HTTP API can make the daemon hold, as named limits with
 * defaults (docs/api.md, "Limits"). `startApiServer` takes any subset; the rest keep these.
 */

export interface ApiLimits {
  /** Body of every JSON endpoint but `POST /api/torrents` (bytes; 413 past it). */
  readonly bodyLimit: number;
  /** Body of `POST /api/torrents`: a 20 MiB .torrent in base64 plus a little JSON (bytes; 413 past it). */
  readonly addTorrentBodyLimit: number;
  /** Nesting of arrays and objects in a JSON body (400 past it). The API needs 2. */
  readonly maxJsonDepth: number;
  /** Values (array items and object members) in one JSON body (400 past it). */
  readonly maxJsonValues: number;
  /** Open TCP connections to the API; more are closed as they arrive. */
  readonly maxConnections: number;
  /** Time for a client to send a request's headers (ms); slower connections are closed with 408. */
  readonly headersTimeoutMs: number;
  /** Time for a client to send a whole request, body included (ms); 408 past it. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long (ms). */
  readonly keepAliveTimeoutMs: number;
  /** Requests on one keep-alive connection before the server closes it. */
  readonly maxRequestsPerSocket: number;
  /**
   * Files listed in one GET /api/torrents/:id (its `fileLimit`, and the default): a torrent
   * with 700,000 files made every poll of it build and send 50 MB.
   */
  readonly maxFilesPerPage: number;
  /** Open `GET /api/events` streams; more get 503. */
  readonly maxEventSubscribers: number;
  /** Unread event bytes one subscriber may have buffered before it is disconnected. */
  readonly maxEventBytesPerSubscriber: number;
  /** Unread event bytes across all subscribers; past it the subscribers with most unread are disconnected. */
  readonly maxEventBytesTotal: number;
  /** Info hashes in one `POST /api/torrents/bulk` (400 past it); its body limit follows from it. */
  readonly maxBulkTorrents: number;
  /** How long a stream URL (`POST .../stream-url`) works (ms). */
  readonly streamTicketTtlMs: number;
  /** Live stream URLs at once; the oldest is dropped for a new one past it. */
  readonly maxStreamTickets: number;
}

/** A .torrent file of up to 20 MiB, in base64 (4/3 larger), inside a small JSON object. */
export const MAX_TORRENT_FILE_BYTES = 20 * 1024 * 1024;

export const DEFAULT_API_LIMITS: ApiLimits = {
  bodyLimit: 64 * 1024,
  addTorrentBodyLimit: Math.ceil((MAX_TORRENT_FILE_BYTES * 4) / 3) + 64 * 1024,
  maxJsonDepth: 16,
  maxJsonValues: 100_000,
  maxConnections: 128,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerSocket: 1000,
  maxFilesPerPage: 10_000,
  maxEventSubscribers: 32,
  maxEventBytesPerSubscriber: 4 * 1024 * 1024,
  maxEventBytesTotal: 32 * 1024 * 1024,
  maxBulkTorrents: 10_000,
  streamTicketTtlMs: 10 * 60_000,
  maxStreamTickets: 1024,
};

/**
 * Body limit of the bulk endpoint: per torrent a 64-hex-character hash in quotes, a comma and
 * room for pretty-printing (a newline and an indent: `JSON.stringify(x, null, 2)`, Python's
 * `json.dumps(indent=4)`), 80 bytes in all; and a little JSON.
 */
export function bulkBodyLimit(limits: ApiLimits): number {
  return limits.maxBulkTorrents * 80 + 4096;
}

export function apiLimits(partial: Partial<ApiLimits> | undefined): ApiLimits {
  const out = { ...DEFAULT_API_LIMITS, ...partial };
  for (const [k, v] of Object.entries(out)) if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`API limit ${k} must be a positive integer`);
  return out;
}
