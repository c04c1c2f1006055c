/**
 * Turns query strings, route parameters and JSON bodies into the typed inputs of the
 * TorrentService, or throws a 400 ServiceError naming what is wrong.
 */
import { isAbsolute, resolve } from 'node:path';
import { altScheduleProblem } from '../alt-speed.js';
import { CHOKER_SETTINGS, MAX_SEED_RATIO, MAX_SEED_TIME_S, MAX_TYRANT_CAPACITY } from '../service/settings.js';
import { ServiceError, TORRENT_STATES, type AddTorrentInput, type FilePage, type ListQuery, type Settings, type TorrentId, type TorrentState } from '../types.js';

export function badRequest(message: string): ServiceError {
  return new ServiceError(400, message);
}

const SORT_KEYS = ['name', 'addedAt', 'progress', 'downloadRate', 'uploadRate', 'size'] as const;
const ORDERS = ['asc', 'desc'] as const;
export const MAX_LIST_LIMIT = 1000;
const MAX_SEARCH_LENGTH = 1000;

type Query = Readonly<Record<string, unknown>>;

/** A query parameter given at most once, as a string. */
function single(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`query parameter ${name} must be given once`);
  return v;
}

function oneOf<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw badRequest(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function integer(query: Query, name: string, min: number, max: number): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) throw badRequest(`${name} must be an integer from ${min} to ${max}`);
  return Number(v);
}

/** `GET /api/torrents?state=&search=&sort=&order=&offset=&limit=`; other parameters are ignored. */
export function parseListQuery(query: Query): ListQuery {
  const search = single(query, 'search');
  if (search !== undefined && search.length > MAX_SEARCH_LENGTH) throw badRequest(`search is longer than ${MAX_SEARCH_LENGTH} characters`);
  const parsed: { -readonly [K in keyof ListQuery]: ListQuery[K] } = {};
  const state = oneOf<TorrentState>(query, 'state', TORRENT_STATES);
  const sort = oneOf(query, 'sort', SORT_KEYS);
  const order = oneOf(query, 'order', ORDERS);
  const offset = integer(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = integer(query, 'limit', 1, MAX_LIST_LIMIT);
  const category = single(query, 'category');
  if (category !== undefined && category.length > 64) throw badRequest('category is longer than 64 characters');
  if (category !== undefined) parsed.category = category;
  if (state !== undefined) parsed.state = state;
  if (search !== undefined && search !== '') parsed.search = search;
  if (sort !== undefined) parsed.sort = sort;
  if (order !== undefined) parsed.order = order;
  if (offset !== undefined) parsed.offset = offset;
  if (limit !== undefined) parsed.limit = limit;
  return parsed;
}

/** `fileOffset` (default 0) and `fileLimit` (1..max, default max) of GET /api/torrents/:id. */
export function parseFilePage(query: Query, max: number): FilePage {
  return { offset: integer(query, 'fileOffset', 0, Number.MAX_SAFE_INTEGER) ?? 0, limit: integer(query, 'fileLimit', 1, max) ?? max };
}

/** `1`/`true` or `0`/`false`; absent is false. */
export function parseFlag(query: Query, name: string): boolean {
  const v = single(query, name);
  if (v === undefined || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true' || v === '') return true;
  throw badRequest(`${name} must be 1, true, 0 or false`);
}

export function parseInfoHash(text: string): TorrentId {
  if (!/^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.test(text)) throw badRequest('infoHash must be 40 or 64 hex characters');
  return text.toLowerCase();
}

export function parseFileIndex(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw badRequest('file index must be a non-negative integer');
  return Number(text);
}

function jsonObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}

function rejectUnknownKeys(obj: Record<string, unknown>, known: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) throw badRequest(`${what}: unknown field ${JSON.stringify(key)}`);
}

/**
 * Decodes padded base64 (RFC 4648 section 4), ignoring whitespace; undefined if it is not
 * valid. Native calls only: Node's decoder skips what it does not know, so the decoded bytes
 * are encoded again and must give back the text (a regular expression with a repeated group,
 * used before, overflowed V8's stack above ~3.5 MiB and blocked the event loop ~75 ms per MiB).
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = /[\t\n\r ]/.test(text) ? text.replace(/[\t\n\r ]+/g, '') : text;
  if (compact.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.toString('base64') !== compact) return undefined;
  return new Uint8Array(bytes);
}

/** Longest save path accepted (PATH_MAX on Linux). */
export const MAX_SAVE_PATH_LENGTH = 4096;

/** A save path from a client: absolute, no NUL byte, normalised (no `.`/`..` segments, no trailing slash). */
export function parseSavePath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`"${name}" must be a non-empty string`);
  if (value.includes('\0')) throw badRequest(`"${name}" must not contain a NUL byte`);
  if (value.length > MAX_SAVE_PATH_LENGTH) throw badRequest(`"${name}" is longer than ${MAX_SAVE_PATH_LENGTH} characters`);
  if (!isAbsolute(value)) throw badRequest(`"${name}" must be an absolute path`);
  return resolve(value);
}

/** Longest URL `POST /api/torrents {"url"}` takes. */
export const MAX_ADD_URL_LENGTH = 8192;

/** `POST /api/torrents`: `{"magnet"}`, `{"torrent": "<base64>"}` or `{"url"}`, optional `savePath`, `paused` and `category`. */
export function parseAddTorrent(body: unknown): AddTorrentInput & { url?: string } {
  const obj = jsonObject(body, 'body');
  rejectUnknownKeys(obj, ['magnet', 'torrent', 'url', 'savePath', 'paused', 'category'], 'body');
  const { magnet, torrent, url, savePath, paused, category } = obj;
  if ([magnet, torrent, url].filter((v) => v !== undefined).length !== 1) throw badRequest('give exactly one of "magnet", "torrent" and "url"');
  const input: { -readonly [K in keyof AddTorrentInput]: AddTorrentInput[K] } & { url?: string } = {};
  if (url !== undefined) {
    if (typeof url !== 'string' || url === '' || url.length > MAX_ADD_URL_LENGTH) throw badRequest(`"url" must be an http(s) or magnet URL of at most ${MAX_ADD_URL_LENGTH} characters`);
    input.url = url;
  } else if (magnet !== undefined) {
    if (typeof magnet !== 'string' || magnet === '') throw badRequest('"magnet" must be a non-empty string');
    input.magnet = magnet;
  } else {
    if (typeof torrent !== 'string' || torrent === '') throw badRequest('"torrent" must be the .torrent file in base64');
    const bytes = decodeBase64(torrent);
    if (bytes === undefined) throw badRequest('"torrent" is not valid base64');
    input.torrent = bytes;
  }
  if (savePath !== undefined) input.savePath = parseSavePath(savePath, 'savePath');
  if (paused !== undefined) {
    if (typeof paused !== 'boolean') throw badRequest('"paused" must be true or false');
    input.paused = paused;
  }
  if (category !== undefined) {
    if (typeof category !== 'string') throw badRequest('"category" must be a string');
    input.category = category;
  }
  return input;
}

/** `PUT /api/torrents/:infoHash/files/priorities`: `[{"index", "priority"}]`, priority 0..7. */
export function parseFilePriorities(body: unknown): { index: number; priority: number }[] {
  if (!Array.isArray(body)) throw badRequest('body must be a JSON array of {"index", "priority"}');
  return body.map((item: unknown, i) => {
    const obj = jsonObject(item, `item ${i}`);
    rejectUnknownKeys(obj, ['index', 'priority'], `item ${i}`);
    const { index, priority } = obj;
    if (!Number.isSafeInteger(index) || (index as number) < 0) throw badRequest(`item ${i}: "index" must be a non-negative integer`);
    if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 7) throw badRequest(`item ${i}: "priority" must be an integer from 0 to 7`);
    return { index: index as number, priority: priority as number };
  });
}

/** `PATCH /api/torrents/:infoHash/limits`: `{"downloadRateLimit"?, "uploadRateLimit"?}` in bytes/s, 0 = unlimited. */
export function parseTorrentLimits(body: unknown): { downloadRateLimit?: number; uploadRateLimit?: number } {
  const obj = jsonObject(body, 'body');
  rejectUnknownKeys(obj, ['downloadRateLimit', 'uploadRateLimit'], 'body');
  const out: { downloadRateLimit?: number; uploadRateLimit?: number } = {};
  for (const key of ['downloadRateLimit', 'uploadRateLimit'] as const) {
    const v = obj[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw badRequest(`"${key}" must be a non-negative integer (bytes/s, 0 = unlimited)`);
    out[key] = v as number;
  }
  return out;
}

type SettingRule = (v: unknown) => boolean;
const nonNegativeInt: SettingRule = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const positiveInt: SettingRule = (v) => Number.isSafeInteger(v) && (v as number) >= 1;
const SETTING_RULES: Readonly<Record<keyof Settings, [SettingRule, string]>> = {
  downloadDir: [(v) => typeof v === 'string' && isAbsolute(v) && !v.includes('\0') && v.length <= MAX_SAVE_PATH_LENGTH, 'an absolute path'],
  downloadRateLimit: [nonNegativeInt, 'a non-negative integer (bytes/s, 0 = unlimited)'],
  uploadRateLimit: [nonNegativeInt, 'a non-negative integer (bytes/s, 0 = unlimited)'],
  maxActiveDownloads: [positiveInt, 'a positive integer'],
  maxConnections: [positiveInt, 'a positive integer'],
  maxConnectionsPerTorrent: [positiveInt, 'a positive integer'],
  dht: [(v) => typeof v === 'boolean', 'true or false'],
  altDownloadRateLimit: [nonNegativeInt, 'a non-negative integer (bytes/s, 0 = unlimited)'],
  altUploadRateLimit: [nonNegativeInt, 'a non-negative integer (bytes/s, 0 = unlimited)'],
  altEnabled: [(v) => typeof v === 'boolean', 'true or false'],
  altSchedule: [(v) => altScheduleProblem(v) === undefined, 'null or {"from": "HH:MM", "to": "HH:MM", "days": [0..6, 0 = Sunday]}'],
  encryption: [(v) => v === 'prefer' || v === 'require' || v === 'plaintext', '"prefer", "require" or "plaintext"'],
  listenPort: [(v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535, 'an integer from 0 to 65535'],
  portMapping: [(v) => typeof v === 'boolean', 'true or false'],
  utp: [(v) => typeof v === 'boolean', 'true or false'],
  pex: [(v) => typeof v === 'boolean', 'true or false'],
  lsd: [(v) => typeof v === 'boolean', 'true or false'],
  seedRatioLimit: [(v) => v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_SEED_RATIO), `null or a number from 0 to ${MAX_SEED_RATIO}`],
  seedTimeLimit: [(v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_SEED_TIME_S), `null or whole seconds from 0 to ${MAX_SEED_TIME_S}`],
  seedLimitAction: [(v) => v === 'pause' || v === 'remove', '"pause" or "remove"'],
  choker: [(v) => typeof v === 'string' && (CHOKER_SETTINGS as readonly string[]).includes(v), CHOKER_SETTINGS.map((c) => `"${c}"`).join(' or ')],
  tyrantUploadCapacity: [(v) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TYRANT_CAPACITY, `whole bytes/s from 0 (learnt) to ${MAX_TYRANT_CAPACITY}`],
};

/** `PATCH /api/settings`: any subset of Settings with values of the right type. */
export function parseSettingsPatch(body: unknown): Partial<Settings> {
  const obj = jsonObject(body, 'body');
  rejectUnknownKeys(obj, Object.keys(SETTING_RULES), 'settings');
  for (const [key, value] of Object.entries(obj)) {
    const [ok, expected] = SETTING_RULES[key as keyof Settings];
    if (!ok(value)) throw badRequest(`settings: "${key}" must be ${expected}`);
  }
  return obj as Partial<Settings>;
}
