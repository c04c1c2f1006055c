/** POST /api/torrents input: exactly one of a magnet URI and .torrent bytes, parsed (400 when it breaks a rule). */
import { InputError } from '../../errors.js';
import { parseMagnet, type Magnet } from '../../metainfo/magnet.js';
import type { Torrent } from '../../metainfo/torrent.js';
import { ServiceError, type AddTorrentInput } from '../types.js';
import type { TorrentParser } from './torrent-parser.js';

/** A large .torrent is parsed on `parser`'s worker thread: the API keeps answering meanwhile. */
export async function parseInput(input: AddTorrentInput, parser: TorrentParser): Promise<{ torrent?: Torrent; magnet?: Magnet; bytes?: Uint8Array }> {
  const hasMagnet = input.magnet !== undefined, hasTorrent = input.torrent !== undefined;
  if (hasMagnet === hasTorrent) throw new ServiceError(400, 'give exactly one of magnet and torrent');
  try {
    if (hasTorrent) {
      if (!(input.torrent instanceof Uint8Array)) throw new ServiceError(400, 'torrent must be the .torrent bytes');
      return { torrent: await parser.parse(input.torrent), bytes: input.torrent };
    }
    if (typeof input.magnet !== 'string') throw new ServiceError(400, 'magnet must be a string');
    return { magnet: parseMagnet(input.magnet) };
  } catch (e) {
    if (e instanceof InputError) throw new ServiceError(400, e.message);
    throw e;
  }
}
