/** One torrent: summary, piece map, and files (with priorities), peers and trackers. Re-read every second. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FileInfo, TorrentDetails, TrackerInfo } from '../../src/daemon/types.js';
import { ApiError, errorMessage } from './api.js';
import { isPlayable, type Details, type Peer } from './api-types.js';
import { useServices } from './context.js';
import { formatBytes, formatDuration, formatRate, formatRelative, formatTime } from './format.js';
import { PieceMap } from './piece-map.js';
import { Player } from './player.js';
import { AddPeer, MaintenanceActions, Properties, TrackerEditor } from './torrent-manage.js';
import { pushSample, SpeedGraph, type RateSample } from './speed-graph.js';
import { Progress, StateBadge, TorrentActions } from './widgets.js';

const POLL_MS = 1000, HIDDEN_POLL_MS = 5000;
type Tab = 'files' | 'peers' | 'trackers';

export function TorrentView({ infoHash }: { infoHash: string }) {
  const { api, live } = useServices();
  const [details, setDetails] = useState<Details | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const [tab, setTab] = useState<Tab>('files');
  const [history, setHistory] = useState<RateSample[]>([]);
  const refresh = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const load = async () => {
      clearTimeout(timer);
      try {
        const d = await api.details(infoHash);
        if (stopped) return;
        setDetails(d);
        setHistory((h) => pushSample(h, { at: Date.now(), down: d.downloadRate, up: d.uploadRate }));
        setError(null);
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status === 404) return setGone(true);
        setError(`Loading the torrent: ${errorMessage(e)}`);
      }
      if (!stopped) timer = window.setTimeout(load, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
    };
    refresh.current = () => void load();
    void load();
    const unsubscribe = live.subscribe((e) => {
      if (e.type === 'torrent-removed' && e.infoHash === infoHash) setGone(true);
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
    };
  }, [api, live, infoHash]);

  if (gone) {
    return (
      <section class="card">
        <a href="#/">← All torrents</a>
        <p class="empty">This torrent is no longer in the daemon.</p>
      </section>
    );
  }
  if (!details) {
    return (
      <section class="card">
        <a href="#/">← All torrents</a>
        {error ? <p class="error" role="alert">{error}</p> : <p class="empty">Loading…</p>}
      </section>
    );
  }
  const d = details;
  return (
    <article class="torrent card" aria-label={`Torrent ${d.name}`}>
      <a href="#/">← All torrents</a>
      <header class="torrent-head">
        <h1 class="wrap">{d.name || d.infoHash}</h1>
        <StateBadge torrent={d} />
        <TorrentActions torrent={d} onRemoved={() => (location.hash = '#/')} />
        <MaintenanceActions infoHash={d.infoHash} onChanged={() => refresh.current()} />
      </header>
      {error && <p class="error" role="alert">{error}</p>}
      {d.state === 'error' && d.error && <p class="error" role="alert">{d.error}</p>}
      <Progress value={d.progress} state={d.state} />
      <dl class="facts">
        <Fact label="Size" value={d.size > 0 ? formatBytes(d.size) : '–'} />
        <Fact label="Downloaded" value={formatBytes(d.downloaded)} />
        <Fact label="Uploaded" value={formatBytes(d.uploaded)} />
        <Fact label="Ratio" value={d.ratio !== undefined ? d.ratio.toFixed(2) : d.downloaded > 0 ? (d.uploaded / d.downloaded).toFixed(2) : '–'} />
        {d.category && <Fact label="Category" value={d.category} />}
        {d.seedingTime !== undefined && d.seedingTime > 0 && <Fact label="Seeding for" value={formatDuration(d.seedingTime)} />}
        <Fact label="Down" value={formatRate(d.downloadRate)} />
        <Fact label="Up" value={formatRate(d.uploadRate)} />
        <Fact label="ETA" value={formatDuration(d.eta)} />
        <Fact label="Peers" value={String(d.peers)} />
        <Fact label="Pieces" value={d.pieceCount > 0 ? `${d.pieceCount} × ${formatBytes(d.pieceLength)}` : '–'} />
        <Fact label="Added" value={formatTime(d.addedAt)} />
        <Fact label="Save path" value={d.savePath} wide />
        {d.infoHashes.v1 && d.infoHashes.v2
          ? (
            <>
              <Fact label="Info hash v1" value={d.infoHashes.v1} wide mono />
              <Fact label="Info hash v2" value={d.infoHashes.v2} wide mono />
            </>
          )
          : <Fact label="Info hash" value={d.infoHash} wide mono />}
      </dl>
      <Limits infoHash={d.infoHash} limits={d.limits} onChanged={() => refresh.current()} />
      <Properties d={d} onChanged={() => refresh.current()} />
      <details class="magnet">
        <summary>Magnet link</summary>
        <input type="text" readonly value={d.magnet} aria-label="Magnet link" onFocus={(e) => e.currentTarget.select()} />
      </details>
      <h2>Speed <span class="legend"><span class="down">down</span> <span class="up">up</span></span></h2>
      <SpeedGraph samples={history} width={600} height={110} />
      <h2>Pieces</h2>
      <PieceMap pieces={d.pieces} pieceCount={d.pieceCount} />
      <nav class="tabs" role="tablist">
        {(['files', 'peers', 'trackers'] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} class={tab === t ? 'selected' : ''} onClick={() => setTab(t)}>
            {t === 'files' ? `Files (${d.fileCount ?? d.files.length})` : t === 'peers' ? `Peers (${d.peerList.length})` : `Trackers (${d.trackers.length})`}
          </button>
        ))}
      </nav>
      <div role="tabpanel">
        {tab === 'files' && <Files infoHash={d.infoHash} name={d.name} files={d.files} total={d.fileCount ?? d.files.length} onChanged={() => refresh.current()} />}
        {tab === 'peers' && (
          <>
            <AddPeer infoHash={d.infoHash} onChanged={() => refresh.current()} />
            <Peers peers={d.peerList} />
          </>
        )}
        {tab === 'trackers' && (
          <>
            <Trackers trackers={d.trackers} />
            <TrackerEditor infoHash={d.infoHash} onChanged={() => refresh.current()} />
          </>
        )}
      </div>
    </article>
  );
}

/** This torrent's own rate limits, in KiB/s (the session-wide ones in Settings apply as well). */
function Limits({ infoHash, limits, onChanged }: { infoHash: string; limits: TorrentDetails['limits'] | undefined; onChanged: () => void }) {
  const { api } = useServices();
  const kib = (b: number | undefined) => String(Math.round((b ?? 0) / 1024));
  // Edited values live here: the view re-reads the details every second and must not overwrite typing.
  const [down, setDown] = useState<string | null>(null);
  const [up, setUp] = useState<string | null>(null);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  async function save(e: Event) {
    e.preventDefault();
    const parse = (v: string | null, was: number | undefined) => (v === null ? was ?? 0 : Math.round(Number(v) * 1024));
    const downloadRateLimit = parse(down, limits?.downloadRateLimit), uploadRateLimit = parse(up, limits?.uploadRateLimit);
    if (![downloadRateLimit, uploadRateLimit].every((n) => Number.isSafeInteger(n) && n >= 0)) {
      return setMessage({ error: true, text: 'Limits are whole numbers of KiB/s, 0 for none.' });
    }
    try {
      await api.setTorrentLimits(infoHash, { downloadRateLimit, uploadRateLimit });
      setDown(null);
      setUp(null);
      setMessage({ error: false, text: 'Limits saved' });
      onChanged();
    } catch (err) {
      setMessage({ error: true, text: `Saving the limits: ${errorMessage(err)}` });
    }
  }
  return (
    <details class="limits">
      <summary>Rate limits</summary>
      <form onSubmit={(e) => void save(e)}>
        <label>
          Download (KiB/s, 0 = none)
          <input type="number" min="0" step="1" value={down ?? kib(limits?.downloadRateLimit)} onInput={(e) => setDown(e.currentTarget.value)} />
        </label>
        <label>
          Upload (KiB/s, 0 = none)
          <input type="number" min="0" step="1" value={up ?? kib(limits?.uploadRateLimit)} onInput={(e) => setUp(e.currentTarget.value)} />
        </label>
        <button type="submit">Save limits</button>
        {message && <p class={message.error ? 'error' : 'note'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      </form>
    </details>
  );
}

function Fact({ label, value, wide, mono }: { label: string; value: string; wide?: boolean; mono?: boolean }) {
  return (
    <div class={wide ? 'wide' : ''}>
      <dt>{label}</dt>
      <dd class={mono ? 'mono' : ''}>{value}</dd>
    </div>
  );
}

const PRIORITIES: readonly [number, string][] = [[0, 'Skip'], [1, 'Normal'], [4, 'High'], [7, 'Highest']];
const FILES_SHOWN = 200;

function PrioritySelect({ value, label, onChange }: { value: number | null; label: string; onChange: (p: number) => void }) {
  const options = value === null || PRIORITIES.some(([p]) => p === value) ? PRIORITIES : [...PRIORITIES, [value, `Priority ${value}`] as const];
  return (
    <select aria-label={label} value={value ?? ''} onChange={(e) => e.currentTarget.value !== '' && onChange(Number(e.currentTarget.value))}>
      {value === null && <option value="">Set all…</option>}
      {options.map(([p, name]) => <option key={p} value={p}>{name}</option>)}
    </select>
  );
}

function Files({ infoHash, name, files, total, onChanged }: { infoHash: string; name: string; files: readonly FileInfo[]; total: number; onChanged: () => void }) {
  const { api, notify } = useServices();
  const [showAll, setShowAll] = useState(false);
  const [playing, setPlaying] = useState<FileInfo | null>(null);
  const [renaming, setRenaming] = useState<{ index: number; path: string } | null>(null);
  if (files.length === 0) return <p class="empty">The file list arrives with the torrent's metadata.</p>;

  async function setPriority(indices: readonly number[], priority: number) {
    try {
      await api.setFilePriorities(infoHash, indices.map((index) => ({ index, priority })));
      onChanged();
    } catch (e) {
      notify('error', `Setting file priority: ${errorMessage(e)}`);
    }
  }

  async function rename(index: number, path: string) {
    try {
      await api.renameFile(infoHash, index, path);
      setRenaming(null);
      notify('info', `Renamed to ${path}`);
      onChanged();
    } catch (e) {
      notify('error', `Renaming the file: ${errorMessage(e)}`);
    }
  }

  const shown = showAll ? files : files.slice(0, FILES_SHOWN);
  const shortPath = (f: FileInfo) => (files.length > 1 && f.path.startsWith(`${name}/`) ? f.path.slice(name.length + 1) : f.path);
  return (
    <div class="scroll">
      {playing && <Player infoHash={infoHash} index={playing.index} path={playing.path} onClose={() => setPlaying(null)} />}
      {files.length > 1 && (
        <p class="bulk">All files: <PrioritySelect value={null} label="Priority of all files" onChange={(p) => setPriority(files.map((f) => f.index), p)} /></p>
      )}
      {total > files.length && <p class="bulk">The first {files.length} of {total} files (the API pages the rest: fileOffset, fileLimit).</p>}
      <table class="files">
        <thead><tr><th>File</th><th class="num">Size</th><th>Progress</th><th>Priority</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {shown.map((f) => (
            <tr key={f.index} class={f.priority === 0 ? 'skipped' : ''}>
              <td class="wrap" title={f.path}>
                {renaming?.index === f.index
                  ? (
                    <form class="rename" onSubmit={(e) => { e.preventDefault(); void rename(f.index, renaming.path.trim()); }}>
                      <input type="text" aria-label={`New name for ${f.path}`} value={renaming.path} spellcheck={false}
                        onInput={(e) => setRenaming({ index: f.index, path: e.currentTarget.value })} />
                      <button type="submit">Save name</button>
                      <button type="button" class="link" onClick={() => setRenaming(null)}>Cancel</button>
                    </form>
                  )
                  : shortPath(f)}
              </td>
              <td class="num">{formatBytes(f.length)}</td>
              <td class="c-progress"><Progress value={f.progress} /></td>
              <td><PrioritySelect value={f.priority} label={`Priority of ${f.path}`} onChange={(p) => setPriority([f.index], p)} /></td>
              <td class="file-actions">
                {isPlayable(f.path) && f.priority !== 0 && (
                  <button type="button" class="link" aria-label={`Play ${f.path}`} onClick={() => setPlaying(f)}>Play</button>
                )}
                <button type="button" class="link" aria-label={`Rename ${f.path}`} onClick={() => setRenaming({ index: f.index, path: f.path })}>Rename</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!showAll && files.length > FILES_SHOWN && (
        <button type="button" onClick={() => setShowAll(true)}>Show all {files.length} files</button>
      )}
    </div>
  );
}

const TRANSPORT_NAMES: Readonly<Record<string, string>> = { tcp: 'TCP', utp: 'uTP' };

/** TCP, uTP, or HTTP for a web seed (BEP 19). */
function transportOf(p: Peer): string {
  if (p.kind === 'webseed') return 'HTTP';
  if (p.transport) return TRANSPORT_NAMES[p.transport] ?? p.transport;
  return p.flags.includes('P') ? 'uTP' : 'TCP';
}

const FLAG_HELP = 'D/d: we download (unchoked/choked) · U/u: we upload · O optimistic · S snubbed · I incoming · E encrypted (RC4) · e encrypted handshake only · X PEX · H DHT · P uTP';

function Peers({ peers }: { peers: readonly Peer[] }) {
  if (peers.length === 0) return <p class="empty">No peers connected.</p>;
  const sorted = [...peers].sort((a, b) => b.downloadRate - a.downloadRate || b.uploadRate - a.uploadRate);
  return (
    <div class="scroll">
      <table class="peers">
        <thead>
          <tr><th>Address</th><th>Client</th><th>Via</th><th>Has</th><th class="num">Down</th><th class="num">Up</th><th title={FLAG_HELP}>Flags</th></tr>
        </thead>
        <tbody>
          {sorted.map((p) => (
            <tr key={p.address}>
              <td class="mono wrap">{p.address}</td>
              <td>{p.client || '–'}</td>
              <td>{transportOf(p)}</td>
              <td class="c-progress"><Progress value={p.progress} /></td>
              <td class="num">{formatRate(p.downloadRate)}</td>
              <td class="num">{formatRate(p.uploadRate)}</td>
              <td class="mono" title={FLAG_HELP}>{p.flags || '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Trackers({ trackers }: { trackers: readonly TrackerInfo[] }) {
  if (trackers.length === 0) return <p class="empty">No trackers: peers come from the DHT, PEX or the magnet link.</p>;
  return (
    <div class="scroll">
      <table class="trackers">
        <thead><tr><th>URL</th><th class="num">Tier</th><th>Status</th><th class="num">Peers</th><th>Next announce</th></tr></thead>
        <tbody>
          {trackers.map((t) => (
            <tr key={`${t.tier} ${t.url}`}>
              <td class="wrap mono">{t.url}</td>
              <td class="num">{t.tier}</td>
              <td><span class={`tstatus tstatus-${t.status}`}>{t.status}</span>{t.message && <div class="hint">{t.message}</div>}</td>
              <td class="num">{t.peers ?? '–'}</td>
              <td>{formatRelative(t.nextAnnounce)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
