/** Removing a torrent: its swarm stopped, its record and resume data gone, and with `deleteData` its own files. */
import { rm } from 'node:fs/promises';
import { resumePathFor } from '../../session/session.js';
import { ServiceError } from '../types.js';
import { deleteTorrentData } from './delete-data.js';
import type { DownloadQueue } from './queue.js';
import { stopEntryBounded, type RunContext } from './runner.js';
import type { ServiceEvents } from './tick.js';
import type { TorrentEntry } from './torrent-entry.js';

export interface RemoveHost {
  readonly ctx: RunContext;
  readonly stateDir: string;
  readonly entries: Map<string, TorrentEntry>;
  readonly queue: DownloadQueue;
  readonly events: ServiceEvents;
  plan(): void;
}

export async function removeTorrent(h: RemoveHost, e: TorrentEntry, options: { deleteData: boolean }): Promise<void> {
  if (e.moving) throw new ServiceError(409, 'its data is being moved; remove it when the move is done');
  h.entries.delete(e.id);
  h.queue.forget(e);
  let t = e.torrent;
  try {
    t ??= await e.loadMetadata(); // an idle torrent may not have been parsed yet (read before its metainfo file goes; off the event loop when large)
  } catch {
    // Unreadable metainfo: no file list to delete by.
  }
  await stopEntryBounded(h.ctx, e);
  await h.ctx.store.remove(e.id);
  if (t) {
    await rm(resumePathFor(h.stateDir, t, e.record.savePath), { force: true });
    if (options.deleteData) {
      // Only the files the torrent names (resolved strictly inside its save path), then the folders they leave empty.
      const failed = await deleteTorrentData(t, e.record.savePath);
      if (failed.length > 0) h.ctx.log(`torrent ${e.id}: could not delete ${failed.join(', ')}`);
    }
  }
  h.events.emit({ type: 'torrent-removed', infoHash: e.id });
  h.plan();
}
