/**
 * Reading a .torrent named on the command line, with the mistakes a first-time user makes
 * named as such: a folder or the downloaded data itself (a 4 GiB .iso read whole into memory
 * would fail with an out-of-memory crash or ERR_FS_FILE_TOO_LARGE), or a FIFO (read for ever).
 */
import { readFileSync, statSync } from 'node:fs';
import { MAX_TORRENT_FILE_BYTES } from '../daemon/http/limits.js';
import { InputError, ShoalError } from '../errors.js';
import { parseTorrent, type Torrent } from '../metainfo/torrent.js';
import { formatBytes } from './output.js';

export function readTorrentFile(arg: string): Uint8Array {
  let st;
  try {
    st = statSync(arg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ShoalError(`${arg}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new ShoalError(`${arg} is a directory, not a .torrent file (to share a folder, make a torrent of it with: shoal create ${arg} -o <name>.torrent)`);
  if (!st.isFile()) throw new ShoalError(`${arg} is not a regular file; give a .torrent file or a magnet link`);
  if (st.size > MAX_TORRENT_FILE_BYTES) {
    throw new ShoalError(`${arg} is ${formatBytes(st.size)}, too large for a .torrent file (at most ${formatBytes(MAX_TORRENT_FILE_BYTES)}): give the .torrent, not the data it describes`);
  }
  try {
    return readFileSync(arg);
  } catch (e) {
    throw new ShoalError(`${arg}: ${(e as Error).message}`);
  }
}

/** `readTorrentFile`, parsed; a file that is not a torrent says so by name (not just "bencode: unexpected byte"). */
export function parseTorrentFile(arg: string): Torrent {
  const bytes = readTorrentFile(arg);
  try {
    return parseTorrent(bytes);
  } catch (e) {
    if (e instanceof InputError) throw new ShoalError(`${arg} is not a .torrent file: ${e.message}`);
    throw e;
  }
}
