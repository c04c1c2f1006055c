/**
 * `POST /api/create`: a .torrent made from a file or folder on the daemon's machine (hashed
 * on worker threads, off the event loop: metainfo/create.ts), optionally added seeding from
 * where it is.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { CreateTorrentError, createTorrent } from '../../metainfo/create.js';
import { ServiceError, type CreateTorrentInput, type CreatedTorrent, type TorrentId } from '../types.js';
import { checkTiers } from './trackers.js';

/** Longest comment accepted. */
export const MAX_COMMENT_LENGTH = 4096;
/** Torrents being created at once in this process (each hashes on up to 4 worker threads); another is a 409 meanwhile. */
export const MAX_CONCURRENT_CREATES = 2;
let running = 0;

export async function createFromPath(input: CreateTorrentInput, o: {
  readonly nowSeconds: number;
  readonly add: (bytes: Uint8Array, savePath: string) => Promise<TorrentId>;
}): Promise<CreatedTorrent> {
  const path = input.path;
  if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0')) throw new ServiceError(400, 'path must be an absolute path');
  const full = resolve(path);
  if (running >= MAX_CONCURRENT_CREATES) throw new ServiceError(409, `${MAX_CONCURRENT_CREATES} torrents are being created already; try again when one is done`);
  running++;
  try {
    return await create(input, full, o);
  } finally {
    running--;
  }
}

async function create(input: CreateTorrentInput, full: string, o: Parameters<typeof createFromPath>[1]): Promise<CreatedTorrent> {
  try {
    await stat(full);
  } catch (e) {
    throw new ServiceError(400, `${full}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (input.comment !== undefined && (typeof input.comment !== 'string' || input.comment.length > MAX_COMMENT_LENGTH)) throw new ServiceError(400, `comment must be a string of at most ${MAX_COMMENT_LENGTH} characters`);
  const trackers = input.trackers === undefined ? undefined : checkTiers(input.trackers);
  let created;
  try {
    created = await createTorrent(full, { pieceLength: input.pieceLength, trackers, private: input.private === true, comment: input.comment, creationDate: o.nowSeconds });
  } catch (e) {
    if (e instanceof CreateTorrentError || e instanceof InputError) throw new ServiceError(400, e.message);
    throw e;
  }
  const t = created.torrent;
  const infoHash = Buffer.from(t.infoHashV1 ?? t.infoHashV2!).toString('hex');
  if (input.seed === true) await o.add(created.bytes, dirname(full));
  return { infoHash, name: t.name, torrent: Buffer.from(created.bytes).toString('base64') };
}
