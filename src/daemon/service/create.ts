/**
 * `POST /api/create`: a .torrent made from a file or folder on the daemon's machine (hashed
 * on worker threads, off the event loop: metainfo/create.ts), optionally added seeding from
 * where it is.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { CreateTorrentError } from '../../metainfo/create.js';
import { createTorrent } from '../../runtime/node/create/create-torrent.js';
import { ServiceError, type CreateTorrentInput, type CreatedTorrent, type TorrentId } from '../types.js';
import { checkTiers } from './trackers.js';

/** Longest comment accepted. */
export const MAX_COMMENT_LENGTH = 4096;
/** Torrents being created at once in this process (each hashes on up to 4 worker threads); another is a 409 meanwhile. */
export const MAX_CONCURRENT_CREATES = 2;
/**
 * Directory entries (files, folders, anything else) a folder given to create may hold in all;
 * past it a `400`. The tree is walked asynchronously first, so `"path": "/"` costs the event
 * loop nothing and stops here instead of listing the whole disk in one blocking walk.
 */
export const MAX_CREATE_ENTRIES = 100_000;
let running = 0;

export async function createFromPath(input: CreateTorrentInput, o: {
  readonly nowSeconds: number;
  readonly add: (bytes: Uint8Array, savePath: string) => Promise<TorrentId>;
  /** Entries a folder may hold in all (default `MAX_CREATE_ENTRIES`). */
  readonly maxEntries?: number;
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
  let isDir: boolean;
  try {
    isDir = (await stat(full)).isDirectory();
  } catch (e) {
    throw new ServiceError(400, `${full}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (isDir) await checkTree(full, o.maxEntries ?? MAX_CREATE_ENTRIES);
  if (input.comment !== undefined && (typeof input.comment !== 'string' || input.comment.length > MAX_COMMENT_LENGTH)) throw new ServiceError(400, `comment must be a string of at most ${MAX_COMMENT_LENGTH} characters`);
  const trackers = input.trackers === undefined ? undefined : checkTiers(input.trackers);
  let created;
  try {
    created = await createTorrent(full, { pieceLength: input.pieceLength, trackers, private: input.private === true, comment: input.comment, creationDate: o.nowSeconds });
  } catch (e) {
    if (e instanceof CreateTorrentError || e instanceof InputError) throw new ServiceError(400, e.message);
    // A file that cannot be read (permissions, a disk error, changed while hashing): the path's fault, not the daemon's.
    if (typeof (e as NodeJS.ErrnoException).code === 'string') throw new ServiceError(400, `cannot create a torrent from ${full}: ${(e as Error).message}`);
    throw e;
  }
  const t = created.torrent;
  const infoHash = Buffer.from(t.infoHashV1 ?? t.infoHashV2!).toString('hex');
  if (input.seed === true) await o.add(created.bytes, dirname(full));
  return { infoHash, name: t.name, torrent: Buffer.from(created.bytes).toString('base64') };
}

/**
 * Walks the folder without blocking (symbolic links are not followed, as the torrent leaves
 * them out): 400 when it holds more than `max` entries or a folder in it cannot be read (a
 * torrent silently missing a subfolder would be worse than none).
 */
async function checkTree(root: string, max: number): Promise<void> {
  let entries = 0;
  const dirs = [root];
  for (let dir = dirs.pop(); dir !== undefined; dir = dirs.pop()) {
    let list;
    try {
      list = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ServiceError(400, `cannot read ${dir}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message} (${code ?? 'EIO'})`);
    }
    entries += list.length;
    if (entries > max) throw new ServiceError(400, `${root} holds more than ${max} files and folders, the most a torrent may be created from`);
    for (const d of list) if (d.isDirectory()) dirs.push(join(dir, d.name));
  }
}
