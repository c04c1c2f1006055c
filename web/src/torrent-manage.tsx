/**
 * Managing one torrent: recheck and reannounce, its properties (name, category, seeding
 * limits, where its data lives), a peer added by hand, and its tracker list.
 */
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, type TrackerTiers } from './api.js';
import type { Details } from './api-types.js';
import { CategorySelect, useCategories } from './categories.js';
import { useServices } from './context.js';

type Message = { error: boolean; text: string } | null;

function Feedback({ message }: { message: Message }) {
  return message && <p class={message.error ? 'error' : 'note'} role={message.error ? 'alert' : 'status'}>{message.text}</p>;
}

/** Runs an API call, telling the user how it went. */
function useAction(): [boolean, Message, (ok: string, failed: string, action: () => Promise<unknown>) => Promise<boolean>] {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  async function run(ok: string, failed: string, action: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    try {
      await action();
      setMessage({ error: false, text: ok });
      return true;
    } catch (e) {
      setMessage({ error: true, text: `${failed}: ${errorMessage(e)}` });
      return false;
    } finally {
      setBusy(false);
    }
  }
  return [busy, message, run];
}

/** Recheck (verify every piece again) and reannounce (ask trackers and the DHT now). */
export function MaintenanceActions({ infoHash, onChanged }: { infoHash: string; onChanged: () => void }) {
  const { api, notify } = useServices();
  const [busy, setBusy] = useState(false);
  async function run(ok: string, action: () => Promise<unknown>) {
    setBusy(true);
    try {
      await action();
      notify('info', ok);
      onChanged();
    } catch (e) {
      notify('error', `${ok.replace(/…$/, '')} failed: ${errorMessage(e)}`);
    } finally {
      setBusy(false);
    }
  }
  return (
    <span class="actions">
      <button type="button" disabled={busy} title="Verify every piece on disk again"
        onClick={() => void run('Recheck started…', () => api.recheck(infoHash))}>Recheck</button>
      <button type="button" disabled={busy} title="Ask the trackers and the DHT for peers now"
        onClick={() => void run('Reannouncing…', () => api.reannounce(infoHash))}>Reannounce</button>
    </span>
  );
}

/** A seeding limit as a choice: the global setting (null), none for this torrent (-1), or a value. */
function LimitInput({ label, unit, value, scale, onChange }: {
  label: string; unit: string; value: number | null | undefined; scale: number; onChange: (v: number | null) => void;
}) {
  const mode = value === null || value === undefined ? 'global' : value < 0 ? 'none' : 'value';
  return (
    <div class="limit-input">
      <label>
        {label}
        <select aria-label={`${label} mode`} value={mode} onChange={(e) => {
          const m = e.currentTarget.value;
          onChange(m === 'global' ? null : m === 'none' ? -1 : (value ?? 0) > 0 ? (value as number) : scale);
        }}>
          <option value="global">Use the global setting</option>
          <option value="none">No limit</option>
          <option value="value">Stop at…</option>
        </select>
      </label>
      {mode === 'value' && (
        <label>
          {unit}
          <input type="number" min="0" step="any" aria-label={`${label} (${unit})`} value={String((value as number) / scale)}
            onInput={(e) => onChange(Math.max(0, Number(e.currentTarget.value) * scale))} />
        </label>
      )}
    </div>
  );
}

/** Name, category, seeding limits and the save path, saved with PATCH and move. */
export function Properties({ d, onChanged }: { d: Details; onChanged: () => void }) {
  const { api } = useServices();
  const { categories } = useCategories();
  // Edits live here until saved: the view re-reads the details every second.
  const [name, setName] = useState<string | null>(null);
  const [category, setCategory] = useState<string | null>(null);
  const [ratio, setRatio] = useState<number | null | undefined>(undefined);
  const [time, setTime] = useState<number | null | undefined>(undefined);
  const [savePath, setSavePath] = useState<string | null>(null);
  const [busy, message, run] = useAction();

  const ratioValue = ratio !== undefined ? ratio : d.seedRatioLimit;
  const timeValue = time !== undefined ? time : d.seedTimeLimit;

  async function save(e: Event) {
    e.preventDefault();
    const patch: Record<string, unknown> = {};
    if (name !== null && name.trim() !== d.name) patch.name = name.trim();
    if (category !== null && category !== (d.category ?? '')) patch.category = category; // '' clears it
    if (ratio !== undefined) patch.seedRatioLimit = ratio;
    if (time !== undefined) patch.seedTimeLimit = time === null || time < 0 ? time : Math.round(time);
    if (Object.keys(patch).length === 0) return;
    if (await run('Saved', 'Saving', () => api.patchTorrent(d.infoHash, patch))) {
      setName(null);
      setCategory(null);
      setRatio(undefined);
      setTime(undefined);
      onChanged();
    }
  }

  async function move(e: Event) {
    e.preventDefault();
    const to = (savePath ?? d.savePath).trim();
    if (!to.startsWith('/')) return void run('', 'Moving', () => Promise.reject(new Error('the new location must be an absolute path')));
    if (to === d.savePath) return;
    if (await run(`Moving the data to ${to}…`, 'Moving', () => api.move(d.infoHash, to))) {
      setSavePath(null);
      onChanged();
    }
  }

  return (
    <details class="properties">
      <summary>Properties: name, category, seeding limits, location</summary>
      <form onSubmit={(e) => void save(e)}>
        <label>
          Name
          <input type="text" value={name ?? d.name} onInput={(e) => setName(e.currentTarget.value)} maxLength={255} />
        </label>
        <label>
          Category
          <CategorySelect value={category ?? d.category ?? ''} categories={categories} label="Torrent category" onChange={setCategory} />
        </label>
        <LimitInput label="Seed ratio limit" unit="ratio" value={ratioValue} scale={1} onChange={setRatio} />
        <LimitInput label="Seeding time limit" unit="minutes" value={timeValue} scale={60} onChange={setTime} />
        <button type="submit" disabled={busy}>Save properties</button>
      </form>
      <form class="move" onSubmit={(e) => void move(e)}>
        <label>
          Location of the data
          <input type="text" aria-label="New save path" value={savePath ?? d.savePath} spellcheck={false}
            onInput={(e) => setSavePath(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>Move data</button>
      </form>
      <Feedback message={message} />
    </details>
  );
}

/** host:port, [v6]:port or name:port, as the API takes it. */
export function looksLikePeerAddress(s: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(s.trim());
  return !!m && Number(m[2]) > 0 && Number(m[2]) < 65536;
}

export function AddPeer({ infoHash, onChanged }: { infoHash: string; onChanged: () => void }) {
  const { api } = useServices();
  const [address, setAddress] = useState('');
  const [busy, message, run] = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    const a = address.trim();
    if (!looksLikePeerAddress(a)) return void run('', 'Adding the peer', () => Promise.reject(new Error('write it as host:port (or [IPv6]:port)')));
    if (await run(`Connecting to ${a}…`, 'Adding the peer', () => api.addPeer(infoHash, a))) {
      setAddress('');
      onChanged();
    }
  }
  return (
    <form class="add-peer" onSubmit={(e) => void submit(e)}>
      <input type="text" aria-label="Peer address" placeholder="host:port" value={address} spellcheck={false}
        onInput={(e) => setAddress(e.currentTarget.value)} />
      <button type="submit" disabled={busy || address.trim() === ''}>Add peer</button>
      <Feedback message={message} />
    </form>
  );
}

/** Tiers as text: one URL per line, a blank line between tiers (as Transmission and qBittorrent edit them). */
export function tiersToText(tiers: TrackerTiers): string {
  return tiers.map((t) => t.join('\n')).join('\n\n');
}

export function textToTiers(text: string): string[][] {
  return text.split(/\n\s*\n/).map((block) => block.split('\n').map((l) => l.trim()).filter((l) => l !== '')).filter((t) => t.length > 0);
}

export function TrackerEditor({ infoHash, onChanged }: { infoHash: string; onChanged: () => void }) {
  const { api } = useServices();
  const [text, setText] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<string>('');
  const [busy, message, run] = useAction();
  useEffect(() => {
    api.trackers(infoHash).then((t) => setLoaded(tiersToText(t)), () => undefined);
  }, [api, infoHash]);

  async function save(e: Event) {
    e.preventDefault();
    const tiers = textToTiers(text ?? loaded);
    const bad = tiers.flat().find((u) => !/^(https?|udp):\/\/[^\s/]+/i.test(u));
    if (bad) return void run('', 'Saving trackers', () => Promise.reject(new Error(`not a tracker URL: ${bad}`)));
    if (await run('Trackers saved', 'Saving trackers', async () => {
      setLoaded(tiersToText(await api.setTrackers(infoHash, tiers)));
    })) {
      setText(null);
      onChanged();
    }
  }
  return (
    <details class="tracker-editor">
      <summary>Edit trackers</summary>
      <form onSubmit={(e) => void save(e)}>
        <label>
          One announce URL per line; a blank line starts the next tier.
          <textarea aria-label="Tracker list" rows={6} spellcheck={false} value={text ?? loaded} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>Save trackers</button>
        <Feedback message={message} />
      </form>
    </details>
  );
}
