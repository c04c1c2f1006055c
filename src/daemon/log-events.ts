/** Turns the service's events into log lines: adds, removals, completions, errors, state changes (debug). */
import type { DaemonLog } from './log.js';
import type { ServiceEvent, TorrentState, TorrentSummary } from './types.js';

export function logServiceEvents(log: DaemonLog): (e: ServiceEvent) => void {
  const last = new Map<string, TorrentState>();
  const name = (t: TorrentSummary) => `${JSON.stringify(t.name)} (${t.infoHash})`;
  return (e) => {
    switch (e.type) {
      case 'torrent-added':
        last.set(e.torrent.infoHash, e.torrent.state);
        log.info(`added ${name(e.torrent)} to ${e.torrent.savePath}`);
        return;
      case 'torrent-removed':
        last.delete(e.infoHash);
        log.info(`removed ${e.infoHash}`);
        return;
      case 'torrent-updated': {
        const t = e.torrent;
        const before = last.get(t.infoHash);
        if (before === t.state) return;
        last.set(t.infoHash, t.state);
        if (t.state === 'error') log.error(`${name(t)}: ${t.error ?? 'error'}`);
        // Completion: a download turning into a seed (not a torrent that was complete at start-up).
        else if (t.state === 'seeding' && before === 'downloading') log.info(`completed ${name(t)}: ${t.size} bytes`);
        else log.debug(`${name(t)}: ${before ?? 'loaded'} -> ${t.state}`);
        return;
      }
      case 'stats':
        return;
    }
  };
}
