/**
 * Streaming a file while it downloads: each read moves the torrent's streaming window to the
 * piece it needs, waits until that piece is verified, and yields its bytes from storage.
 */
import { realFiles } from '../../metainfo/torrent.js';
import { ServiceError, type FileRangeStream } from '../types.js';
import type { TorrentEntry } from './torrent-entry.js';

/** Bytes yielded at most per chunk. */
const CHUNK = 1024 * 1024;

export interface StreamHost {
  /** Makes sure the entry runs (a queued torrent is started for the stream); 409 when paused or failed. */
  ensureRunning(entry: TorrentEntry): Promise<void>;
}

export function openFileStream(host: StreamHost, entry: TorrentEntry, fileIndex: number): FileRangeStream {
  const t = entry.metadata();
  if (!t) throw new ServiceError(409, 'the torrent has no metadata yet');
  const files = realFiles(t);
  if (!Number.isInteger(fileIndex) || fileIndex < 0 || fileIndex >= files.length) throw new ServiceError(404, `no file ${fileIndex}`);
  const file = files[fileIndex];
  return {
    fileLength: file.length,
    async *read(start: number, end: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= file.length) {
        if (file.length === 0 && end < start) return;
        throw new ServiceError(400, `range ${start}-${end} is outside the file (${file.length} bytes)`);
      }
      let pos = start;
      try {
        while (pos <= end && !signal.aborted) {
          const abs = file.offset + pos;
          const piece = Math.floor(abs / t.pieceLength);
          await host.ensureRunning(entry);
          entry.swarm?.setStreamingPosition(abs);
          try {
            await entry.waitPiece(piece, signal);
          } catch {
            return; // aborted
          }
          const inPiece = abs - piece * t.pieceLength;
          const len = Math.min(t.layout.pieceSize(piece) - inPiece, end - pos + 1, CHUNK);
          const reading = entry.swarm?.readVerified(piece, inPiece, len);
          if (!reading) continue; // stopped meanwhile (ensureRunning decides), or the piece is not verified after all
          const bytes = await reading;
          pos += len;
          yield bytes;
        }
      } finally {
        // Back to rarest first once nobody streams.
        if (entry.streamReaders === 0) entry.swarm?.setStreamingPosition(0, 0);
      }
    },
  };
}
