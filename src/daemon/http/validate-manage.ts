/** Bodies of the endpoints that manage torrents (routes-manage.ts), checked into typed inputs or a 400. */
import { ServiceError, type BulkAction, type CreateTorrentInput, type TorrentId, type TorrentPatch } from '../types.js';
import { parseInfoHash, parseSavePath } from './validate.js';

function badRequest(message: string): ServiceError {
  return new ServiceError(400, message);
}

function object(body: unknown, known: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object');
  const obj = body as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!known.includes(key)) throw badRequest(`body: unknown field ${JSON.stringify(key)}`);
  return obj;
}

function str(obj: Record<string, unknown>, key: string, max = 4096): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '' || v.length > max) throw badRequest(`"${key}" must be a string of 1 to ${max} characters`);
  return v;
}

/** `{"address": "host:port"}` */
export function parseAddPeer(body: unknown): string {
  return str(object(body, ['address']), 'address', 300);
}

/** A bare list of tiers, or `{"trackers": [...]}`; the service checks the URLs. */
export function parseTrackers(body: unknown): unknown {
  if (Array.isArray(body)) return body;
  return object(body, ['trackers']).trackers ?? badRequestThrow('give a list of tiers, or {"trackers": [...]}');
}

function badRequestThrow(message: string): never {
  throw badRequest(message);
}

/** `{"savePath"}` */
export function parseMove(body: unknown): string {
  return parseSavePath(object(body, ['savePath']).savePath, 'savePath');
}

/** `{"category"?, "seedRatioLimit"?, "seedTimeLimit"?, "name"?}`: the service checks the values. */
export function parseTorrentPatch(body: unknown): TorrentPatch {
  const obj = object(body, ['category', 'seedRatioLimit', 'seedTimeLimit', 'name']);
  if (obj.category !== undefined && typeof obj.category !== 'string') throw badRequest('"category" must be a string ("" for none)');
  if (obj.name !== undefined && typeof obj.name !== 'string') throw badRequest('"name" must be a string');
  for (const k of ['seedRatioLimit', 'seedTimeLimit']) {
    if (obj[k] !== undefined && obj[k] !== null && typeof obj[k] !== 'number') throw badRequest(`"${k}" must be null, -1 or a number`);
  }
  return obj as TorrentPatch;
}

/** `{"path": "relative/new/name.ext"}` */
export function parseRename(body: unknown): string {
  return str(object(body, ['path']), 'path');
}

/** `{"savePath"}` of PUT /api/categories/:name */
export function parseCategory(body: unknown): string {
  return parseSavePath(object(body, ['savePath']).savePath, 'savePath');
}

const BULK_ACTIONS: readonly BulkAction[] = ['pause', 'resume', 'recheck', 'remove'];

/** `{"action", "infoHashes": [...], "deleteData"?}`, at most `max` hashes. */
export function parseBulk(body: unknown, max: number): { action: BulkAction; infoHashes: TorrentId[]; deleteData: boolean } {
  const obj = object(body, ['action', 'infoHashes', 'deleteData']);
  if (!BULK_ACTIONS.includes(obj.action as BulkAction)) throw badRequest(`"action" must be one of ${BULK_ACTIONS.join(', ')}`);
  if (!Array.isArray(obj.infoHashes)) throw badRequest('"infoHashes" must be a list of info hashes');
  if (obj.infoHashes.length > max) throw badRequest(`"infoHashes" may list at most ${max} torrents`);
  const infoHashes = (obj.infoHashes as unknown[]).map((h) => {
    if (typeof h !== 'string') throw badRequest('"infoHashes" must hold strings');
    return parseInfoHash(h);
  });
  if (obj.deleteData !== undefined && typeof obj.deleteData !== 'boolean') throw badRequest('"deleteData" must be true or false');
  return { action: obj.action as BulkAction, infoHashes, deleteData: obj.deleteData === true };
}

/** `{"path", "pieceLength"?, "trackers"?, "private"?, "comment"?, "seed"?}` */
export function parseCreate(body: unknown): CreateTorrentInput {
  const obj = object(body, ['path', 'pieceLength', 'trackers', 'private', 'comment', 'seed']);
  const path = parseSavePath(obj.path, 'path');
  if (obj.pieceLength !== undefined && (!Number.isSafeInteger(obj.pieceLength) || (obj.pieceLength as number) < 1)) throw badRequest('"pieceLength" must be a positive integer (bytes)');
  for (const k of ['private', 'seed']) if (obj[k] !== undefined && typeof obj[k] !== 'boolean') throw badRequest(`"${k}" must be true or false`);
  if (obj.comment !== undefined && typeof obj.comment !== 'string') throw badRequest('"comment" must be a string');
  if (obj.trackers !== undefined && !Array.isArray(obj.trackers)) throw badRequest('"trackers" must be a list of tiers or of URLs');
  return { ...(obj as Omit<CreateTorrentInput, 'path'>), path };
}
