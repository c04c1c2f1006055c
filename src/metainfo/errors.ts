import { InputError } from '../errors.js';

/** A .torrent file (or its info dictionary) that breaks BEP 3 / 47 / 52 or a limit. */
export class TorrentParseError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`invalid torrent: ${message}`, options);
  }
}
