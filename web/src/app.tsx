/** The page: login or the client (stats bar, add form, torrent list or one torrent's view). */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Stats } from './api-types.js';
import { Api, ApiError } from './api.js';
import { AddTorrent, addTorrentFiles } from './add-torrent.js';
import { clearToken, loadToken, saveToken } from './auth.js';
import { CreateTorrentDialog } from './create-torrent.js';
import { Services, type AppServices, type NoticeKind } from './context.js';
import { LiveEvents, type LiveStatus } from './live.js';
import { Login } from './login.js';
import { SettingsDialog } from './settings.js';
import { pushSample, type RateSample } from './speed-graph.js';
import { StatsBar } from './stats-bar.js';
import { TorrentList } from './torrent-list.js';
import { TorrentView } from './torrent-view.js';

export function App() {
  const [token, setToken] = useState(loadToken);
  const [loginMessage, setLoginMessage] = useState<string | null>(null);
  const logout = useCallback((message: string | null) => {
    clearToken();
    setLoginMessage(message);
    setToken(null);
  }, []);
  // A #token= address opened in a tab that already shows the page only changes the hash.
  useEffect(() => {
    const onHash = () => {
      if (!/(^#|&)token=/.test(location.hash)) return;
      const t = loadToken();
      if (t) {
        setLoginMessage(null);
        setToken(t);
      }
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (!token) {
    return <Login message={loginMessage} onLogin={(t) => { saveToken(t); setLoginMessage(null); setToken(t); }} />;
  }
  return <Client key={token} token={token} onLogout={logout} />;
}

interface Notice {
  readonly id: number;
  readonly kind: NoticeKind;
  readonly text: string;
}

/** `#/t/<infoHash>` is one torrent's view; anything else is the list. */
function routeFromHash(): string | null {
  const m = /^#\/t\/([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.exec(location.hash);
  return m ? m[1].toLowerCase() : null;
}

function Client({ token, onLogout }: { token: string; onLogout: (message: string | null) => void }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [stats, setStats] = useState<Stats | null>(null);
  const [history, setHistory] = useState<RateSample[]>([]);
  const [selected, setSelected] = useState(routeFromHash);
  const [dragging, setDragging] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [createOpen, setCreateOpen] = useState(false);
  const offline = useOffline(status);
  const nextId = useRef(1);

  const notify = useCallback((kind: NoticeKind, text: string) => {
    const id = nextId.current++;
    setNotices((n) => [...n.filter((x) => x.text !== text), { id, kind, text }].slice(-4));
    if (kind === 'info') setTimeout(() => setNotices((n) => n.filter((x) => x.id !== id)), 4000);
  }, []);

  const api = useMemo(() => new Api(token, () => onLogout('The daemon refused the saved token; log in again.')), [token, onLogout]);
  const live = useMemo(() => new LiveEvents(api.eventsUrl(), setStatus, () => {
    // EventSource hides the status; ask the API whether the token still works (a 401 logs out).
    api.stats().catch(() => undefined);
  }), [api]);
  useEffect(() => () => live.close(), [live]);
  const services: AppServices = useMemo(() => ({ api, live, notify }), [api, live, notify]);

  useEffect(() => {
    api.stats().then(setStats, (e: unknown) => {
      if (!(e instanceof ApiError && e.status === 401)) notify('error', `Loading statistics: ${(e as Error).message}`);
    });
    return live.subscribe((e) => {
      if (e.type === 'stats') {
        setStats(e.stats);
        setHistory((h) => pushSample(h, { at: Date.now(), down: e.stats.downloadRate, up: e.stats.uploadRate }));
      }
      else if (e.type === 'resync') api.stats().then(setStats, () => undefined);
    });
  }, [api, live, notify]);

  useEffect(() => {
    const onHash = () => setSelected(routeFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Drop .torrent files (or a magnet link) anywhere on the page.
  useEffect(() => {
    let depth = 0;
    const hasPayload = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].some((t) => t === 'Files' || t === 'text/plain' || t === 'text/uri-list');
    const enter = (e: DragEvent) => {
      if (!hasPayload(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasPayload(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      depth = 0;
      setDragging(false);
      if (!e.dataTransfer || (e.target instanceof HTMLInputElement && e.target.type === 'text')) return;
      e.preventDefault();
      const files = [...e.dataTransfer.files];
      const text = (e.dataTransfer.getData('text/uri-list') || e.dataTransfer.getData('text/plain')).trim();
      if (files.length > 0) void addTorrentFiles(services, files, {});
      else if (text.startsWith('magnet:')) {
        api.add({ magnet: text }).then(() => notify('info', 'Magnet link added'), (err: unknown) => notify('error', `Adding the magnet link: ${(err as Error).message}`));
      } else notify('error', 'Drop .torrent files or a magnet link to add them.');
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [services, api, notify]);

  return (
    <Services.Provider value={services}>
      <header class="top">
        <a class="brand" href="#/">Shoal</a>
        <span class={`live live-${status}`} title="Live updates from the daemon">
          {status === 'live' ? 'live' : status === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
        <span class="spacer" />
        <button type="button" class="link" disabled={offline} onClick={() => setCreateOpen(true)}>Create torrent</button>
        <button type="button" class="link" disabled={offline} onClick={() => setSettingsOpen(true)}>Settings</button>
        <button type="button" class="link" onClick={() => onLogout(null)}>Log out</button>
      </header>
      {offline && (
        <div class="offline" role="alert">
          <strong>The daemon is not answering.</strong> It may have stopped or be unreachable; controls are off until it is back
          (retrying every few seconds). Start it again with <code>shoal daemon</code> (or <code>npm start</code>).
        </div>
      )}
      <StatsBar stats={stats} history={history} stale={offline} />
      <div class="notices" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} class={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
            <span>{n.text}</span>
            <button type="button" class="link" aria-label="Dismiss" onClick={() => setNotices((all) => all.filter((x) => x.id !== n.id))}>×</button>
          </div>
        ))}
      </div>
      {/* A disabled fieldset turns off every control inside it while the daemon is away. */}
      <fieldset class="plain" disabled={offline}>
      <main>
        {selected
          ? <TorrentView infoHash={selected} />
          : (
            <>
              <AddTorrent />
              <TorrentList stats={stats} />
            </>
          )}
      </main>
      </fieldset>
      {dragging && !offline && <div class="drop-overlay">Drop .torrent files or a magnet link to add them</div>}
      {settingsOpen && !offline && <SettingsDialog onClose={() => setSettingsOpen(false)} />}
      {createOpen && !offline && <CreateTorrentDialog onClose={() => setCreateOpen(false)} />}
    </Services.Provider>
  );
}

/** How long the event stream may be down before the page says the daemon is gone (a restart of the stream is not news). */
const OFFLINE_AFTER_MS = 2000;

/** True once the live stream, having worked, has been down for `OFFLINE_AFTER_MS`. */
function useOffline(status: LiveStatus): boolean {
  const [offline, setOffline] = useState(false);
  useEffect(() => {
    if (status !== 'reconnecting') {
      setOffline(false);
      return;
    }
    const t = setTimeout(() => setOffline(true), OFFLINE_AFTER_MS);
    return () => clearTimeout(t);
  }, [status]);
  return offline;
}
