/** POST /api/torrents input: exactly one of a magnet URI and .torrent bytes, parsed (400 when it breaks a rule). */
import { InputError } from '../../errors.js';
import { parseMagnet, type Magnet } from '../../metainfo/magnet.js';
import { parseTorrent, type Torrent } from '../../metainfo/torrent.js';
import { ServiceError, type AddTorrentInput } from '../types.js';

export function parseInput(input: AddTorrentInput): { torrent?: Torrent; magnet?: Magnet; bytes?: Uint8Array } {
  const hasMagnet = input.magnet !== undefined, hasTorrent = input.torrent !== undefined;
  if (hasMagnet === hasTorrent) throw new ServiceError(400, 'give exactly one of magnet and torrent');
  try {
    if (hasTorrent) {
      if (!(input.torrent instanceof Uint8Array)) throw new ServiceError(400, 'torrent must be the .torrent bytes');
      return { torrent: parseTorrent(input.torrent), bytes: input.torrent };
    }
    if (typeof input.magnet !== 'string') throw new ServiceError(400, 'magnet must be a string');
    return { magnet: parseMagnet(input.magnet) };
  } catch (e) {
    if (e instanceof InputError) throw new ServiceError(400, e.message);
    throw e;
  }
}
