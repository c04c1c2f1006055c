/** Worker thread entry: parses one .torrent for `TorrentParser` and sends it back as columns. */
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../../errors.js';
import { parseTorrent, type ParseTorrentOptions } from '../../metainfo/torrent.js';
import { toColumns } from '../../metainfo/torrent-transfer.js';

const { bytes, options } = workerData as { bytes: Uint8Array; options: ParseTorrentOptions };
try {
  const c = toColumns(parseTorrent(bytes, options));
  const transfer = [c.componentCounts.buffer, c.componentLengths.buffer, c.lengths.buffer, c.pads.buffer] as ArrayBuffer[];
  parentPort?.postMessage({ ok: c }, transfer);
} catch (e) {
  // Only the message crosses: an InputError stays one (a 400 from the API), anything else is a bug.
  parentPort?.postMessage({ error: { message: (e as Error).message, input: e instanceof InputError } });
}
