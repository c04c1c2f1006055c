/** The daemon's settings (GET/PATCH /api/settings); only changed fields are sent. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from './api.js';
import type { FullSettings as Settings } from './api-types.js';
import { CategoriesEditor } from './categories.js';
import { useServices } from './context.js';

type NumberKey = 'downloadRateLimit' | 'uploadRateLimit' | 'maxActiveDownloads' | 'maxConnections' | 'maxConnectionsPerTorrent' | 'altDownloadRateLimit' | 'altUploadRateLimit';
/** Rate limits are edited in KiB/s and stored in bytes per second. */
const NUMBER_FIELDS: readonly [NumberKey, string, number][] = [
  ['downloadRateLimit', 'Download limit (KiB/s, 0 = none)', 1024],
  ['uploadRateLimit', 'Upload limit (KiB/s, 0 = none)', 1024],
  ['maxActiveDownloads', 'Active downloads at once', 1],
  ['maxConnections', 'Connections in all', 1],
  ['maxConnectionsPerTorrent', 'Connections per torrent', 1],
  ['altDownloadRateLimit', 'Alternative download limit (KiB/s, 0 = none)', 1024],
  ['altUploadRateLimit', 'Alternative upload limit (KiB/s, 0 = none)', 1024],
];
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
type Draft = Record<string, string | boolean | number[]>;

type SwitchKey = 'dht' | 'portMapping' | 'utp' | 'pex' | 'lsd';
/** On/off settings; a daemon that does not know one does not send it, and it is not shown. */
const SWITCHES: readonly [SwitchKey, string][] = [
  ['dht', 'DHT (find peers without trackers)'],
  ['pex', 'Peer exchange (PEX: peers tell each other about peers)'],
  ['lsd', 'Local peer discovery (find peers on this network)'],
  ['utp', 'uTP beside TCP (BitTorrent over UDP, yields to other traffic; takes effect on restart)'],
  ['portMapping', 'Port mapping (UPnP / NAT-PMP / PCP on the router)'],
];

/** Global seeding limits: blank is none; the time is edited in minutes and stored in seconds. */
function seedDraft(s: Settings): Draft {
  return {
    seedRatioLimit: s.seedRatioLimit === null || s.seedRatioLimit === undefined ? '' : String(s.seedRatioLimit),
    seedTimeLimit: s.seedTimeLimit === null || s.seedTimeLimit === undefined ? '' : String(s.seedTimeLimit / 60),
    seedLimitAction: s.seedLimitAction ?? 'pause',
  };
}

/** The schedule as the draft holds it: an on/off box, two times and the days. */
function scheduleDraft(s: Settings): Draft {
  const a = s.altSchedule;
  return { altScheduled: a !== null, altFrom: a?.from ?? '22:00', altTo: a?.to ?? '06:00', altDays: [...(a?.days ?? [0, 1, 2, 3, 4, 5, 6])] };
}

function scheduleOf(d: Draft): Settings['altSchedule'] {
  return d.altScheduled === true ? { from: String(d.altFrom), to: String(d.altTo), days: [...(d.altDays as number[])].sort((a, b) => a - b) } : null;
}

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const { api, notify } = useServices();
  const ref = useRef<HTMLDialogElement>(null);
  const [saved, setSaved] = useState<Settings | null>(null);
  const [draft, setDraft] = useState<Draft>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    ref.current?.showModal();
    api.settings().then((s) => {
      setSaved(s);
      const d: Draft = { downloadDir: s.downloadDir, encryption: s.encryption, altEnabled: s.altEnabled, ...scheduleDraft(s), ...seedDraft(s) };
      for (const [k] of SWITCHES) if (s[k] !== undefined) d[k] = s[k] === true;
      for (const [k, , unit] of NUMBER_FIELDS) d[k] = String(s[k] / unit);
      if (s.listenPort !== undefined) d.listenPort = String(s.listenPort);
      if (s.choker !== undefined) [d.choker, d.tyrantUploadCapacity] = [s.choker, String((s.tyrantUploadCapacity ?? 0) / 1024)];
      setDraft(d);
    }, (e: unknown) => setError(`Loading settings: ${errorMessage(e)}`));
  }, [api]);

  async function save(e: Event) {
    e.preventDefault();
    if (!saved) return;
    const patch: Partial<Record<keyof Settings, unknown>> = {};
    if (draft.downloadDir !== saved.downloadDir) patch.downloadDir = String(draft.downloadDir).trim();
    for (const [k] of SWITCHES) if (saved[k] !== undefined && draft[k] !== saved[k]) patch[k] = draft[k] === true;
    if (saved.listenPort !== undefined) {
      const port = Number(draft.listenPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) return setError('Listen port: a whole number from 0 to 65535 (0 picks one).');
      if (port !== saved.listenPort) patch.listenPort = port;
    }
    if (saved.seedLimitAction !== undefined) {
      const ratioText = String(draft.seedRatioLimit).trim(), timeText = String(draft.seedTimeLimit).trim();
      const ratio = ratioText === '' ? null : Number(ratioText), minutes = timeText === '' ? null : Number(timeText);
      if (ratio !== null && (!Number.isFinite(ratio) || ratio < 0)) return setError('Seed ratio limit: a number of 0 or more, or blank for none.');
      if (minutes !== null && (!Number.isFinite(minutes) || minutes < 0)) return setError('Seeding time limit: minutes, 0 or more, or blank for none.');
      const time = minutes === null ? null : Math.round(minutes * 60);
      if (ratio !== (saved.seedRatioLimit ?? null)) patch.seedRatioLimit = ratio;
      if (time !== (saved.seedTimeLimit ?? null)) patch.seedTimeLimit = time;
      if (draft.seedLimitAction !== saved.seedLimitAction) patch.seedLimitAction = draft.seedLimitAction;
    }
    if (draft.encryption !== saved.encryption) patch.encryption = String(draft.encryption);
    if (saved.choker !== undefined) {
      if (draft.choker !== saved.choker) patch.choker = String(draft.choker);
      const kib = Number(draft.tyrantUploadCapacity);
      if (!Number.isFinite(kib) || kib < 0) return setError('Upload capacity for the strategic choker: KiB/s, 0 or more (0 = learn it).');
      const capacity = Math.round(kib * 1024);
      if (capacity !== saved.tyrantUploadCapacity) patch.tyrantUploadCapacity = capacity;
    }
    if (draft.altEnabled !== saved.altEnabled) patch.altEnabled = draft.altEnabled === true;
    const schedule = scheduleOf(draft);
    if (schedule && schedule.days.length === 0) return setError('Alternative limits schedule: pick at least one day.');
    if (JSON.stringify(schedule) !== JSON.stringify(saved.altSchedule)) patch.altSchedule = schedule;
    for (const [k, label, unit] of NUMBER_FIELDS) {
      const n = Number(draft[k]);
      if (!Number.isFinite(n) || n < 0) return setError(`${label}: enter a number of 0 or more.`);
      const v = Math.round(n * unit);
      if (v !== saved[k]) patch[k] = v;
    }
    setBusy(true);
    try {
      if (Object.keys(patch).length > 0) await api.updateSettings(patch as Partial<Settings>);
      notify('info', 'Settings saved');
      onClose();
    } catch (err) {
      setError(`Saving settings: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} class="card settings" onCancel={onClose} aria-label="Settings">
      <form onSubmit={save}>
        <h2>Settings</h2>
        {!saved && !error && <p class="empty">Loading…</p>}
        {saved && (
          <>
            <label>
              Download directory
              <input type="text" value={String(draft.downloadDir ?? '')} spellcheck={false}
                onInput={(e) => setDraft({ ...draft, downloadDir: e.currentTarget.value })} />
            </label>
            {NUMBER_FIELDS.map(([k, label]) => (
              <label key={k}>
                {label}
                <input type="number" min={0} step="any" value={String(draft[k] ?? '')}
                  onInput={(e) => setDraft({ ...draft, [k]: e.currentTarget.value })} />
              </label>
            ))}
            {saved.listenPort !== undefined && (
              <label>
                Listen port for peers (0 picks one; applies after a restart)
                <input type="number" min={0} max={65535} step={1} value={String(draft.listenPort ?? '')}
                  onInput={(e) => setDraft({ ...draft, listenPort: e.currentTarget.value })} />
              </label>
            )}
            {SWITCHES.filter(([k]) => saved[k] !== undefined).map(([k, label]) => {
              // A start-up flag (--no-dht, --no-lsd) holds it for this run: shown as it is, not switchable.
              const flag = saved.forced?.[k];
              const why = flag === undefined ? undefined : `Off while the daemon runs: it was started with ${flag}`;
              return (
                <label class="check" key={k} title={why}>
                  <input type="checkbox" checked={draft[k] === true} disabled={flag !== undefined} title={why}
                    onChange={(e) => setDraft({ ...draft, [k]: e.currentTarget.checked })} />
                  {label}{flag !== undefined && <small> (off: started with {flag})</small>}
                </label>
              );
            })}
            <label>
              Peer encryption
              <select value={String(draft.encryption ?? 'prefer')} onChange={(e) => setDraft({ ...draft, encryption: e.currentTarget.value })}>
                <option value="prefer">Prefer (accept both, try encrypted first)</option>
                <option value="require">Require (encrypted peers only)</option>
                <option value="plaintext">Off (plaintext only)</option>
              </select>
            </label>
            {saved.choker !== undefined && (
              <fieldset class="choker">
                <legend>Whom to upload to while downloading (torrents started after a change)</legend>
                <label>
                  Choker
                  <select value={String(draft.choker)} onChange={(e) => setDraft({ ...draft, choker: e.currentTarget.value })}>
                    <option value="tit-for-tat">Tit-for-tat (the peers that upload to us fastest, as every client)</option>
                    <option value="tyrant">Strategic (BitTyrant: the peers that give most per byte, each given just enough)</option>
                  </select>
                </label>
                {draft.choker === 'tyrant' && (
                  <label>
                    Upload capacity (KiB/s; 0 = the upload limit, or learnt)
                    <input type="number" min={0} step="any" value={String(draft.tyrantUploadCapacity)}
                      onInput={(e) => setDraft({ ...draft, tyrantUploadCapacity: e.currentTarget.value })} />
                  </label>
                )}
              </fieldset>
            )}
            <label class="check">
              <input type="checkbox" checked={draft.altEnabled === true} onChange={(e) => setDraft({ ...draft, altEnabled: e.currentTarget.checked })} />
              Use the alternative limits now
            </label>
            <label class="check">
              <input type="checkbox" checked={draft.altScheduled === true} onChange={(e) => setDraft({ ...draft, altScheduled: e.currentTarget.checked })} />
              Use the alternative limits on a schedule (this computer's time)
            </label>
            {draft.altScheduled === true && (
              <fieldset class="schedule">
                <label>
                  From
                  <input type="time" value={String(draft.altFrom)} required onInput={(e) => setDraft({ ...draft, altFrom: e.currentTarget.value })} />
                </label>
                <label>
                  To
                  <input type="time" value={String(draft.altTo)} required onInput={(e) => setDraft({ ...draft, altTo: e.currentTarget.value })} />
                </label>
                {DAY_NAMES.map((name, day) => (
                  <label class="check" key={name}>
                    <input type="checkbox" checked={(draft.altDays as number[]).includes(day)}
                      onChange={(e) => {
                        const days = (draft.altDays as number[]).filter((d) => d !== day);
                        setDraft({ ...draft, altDays: e.currentTarget.checked ? [...days, day] : days });
                      }} />
                    {name}
                  </label>
                ))}
              </fieldset>
            )}
            {saved.seedLimitAction !== undefined && (
              <fieldset class="seed-limits">
                <legend>Seeding limits (each torrent can override them)</legend>
                <label>
                  Stop at share ratio (blank = no limit)
                  <input type="number" min={0} step="any" value={String(draft.seedRatioLimit)}
                    onInput={(e) => setDraft({ ...draft, seedRatioLimit: e.currentTarget.value })} />
                </label>
                <label>
                  Stop after seeding for (minutes, blank = no limit)
                  <input type="number" min={0} step="any" value={String(draft.seedTimeLimit)}
                    onInput={(e) => setDraft({ ...draft, seedTimeLimit: e.currentTarget.value })} />
                </label>
                <label>
                  When a limit is reached
                  <select value={String(draft.seedLimitAction)} onChange={(e) => setDraft({ ...draft, seedLimitAction: e.currentTarget.value })}>
                    <option value="pause">Pause the torrent</option>
                    <option value="remove">Remove the torrent (keep its data)</option>
                  </select>
                </label>
              </fieldset>
            )}
            <CategoriesEditor />
          </>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <div class="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" class="primary" disabled={!saved || busy}>Save</button>
        </div>
      </form>
    </dialog>
  );
}
