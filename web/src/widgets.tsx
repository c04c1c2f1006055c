/** Small pieces shared by the list and the torrent view: progress bars, state badges, actions. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TorrentState, TorrentSummary } from '../../src/daemon/types.js';
import { errorMessage } from './api.js';
import { useServices } from './context.js';
import { formatPercent } from './format.js';

export const STATE_LABELS: Readonly<Record<TorrentState, string>> = {
  metadata: 'Fetching metadata',
  checking: 'Checking',
  queued: 'Queued',
  downloading: 'Downloading',
  seeding: 'Seeding',
  paused: 'Paused',
  error: 'Error',
  moving: 'Moving data',
};

export function Progress({ value, state }: { value: number; state?: TorrentState }) {
  const pct = Math.max(0, Math.min(1, value)) * 100;
  return (
    <div class={`bar${state ? ` bar-${state}` : ''}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.floor(pct * 10) / 10}>
      <div class="fill" style={{ width: `${pct}%` }} />
      <span>{formatPercent(value)}</span>
    </div>
  );
}

export function StateBadge({ torrent }: { torrent: Pick<TorrentSummary, 'state' | 'error'> }) {
  return (
    <span class={`badge badge-${torrent.state}`} title={torrent.error ?? STATE_LABELS[torrent.state]}>
      {STATE_LABELS[torrent.state]}
    </span>
  );
}

/** Pause or resume, and remove (asking first, with the choice to delete the data too). */
export function TorrentActions({ torrent, onRemoved }: { torrent: TorrentSummary; onRemoved?: () => void }) {
  const { api, notify } = useServices();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const stopped = torrent.state === 'paused' || torrent.state === 'error';
  const label = torrent.name || torrent.infoHash;

  async function run(what: string, action: () => Promise<unknown>) {
    setBusy(true);
    try {
      await action();
    } catch (e) {
      notify('error', `${what} ${label}: ${errorMessage(e)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <span class="actions">
      {stopped
        ? <button type="button" disabled={busy} onClick={() => run('Resuming', () => api.resume(torrent.infoHash))}>Resume</button>
        : <button type="button" disabled={busy} onClick={() => run('Pausing', () => api.pause(torrent.infoHash))}>Pause</button>}
      <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(true)}>Remove</button>
      {confirming && (
        <RemoveDialog name={label} onCancel={() => setConfirming(false)} onConfirm={(deleteData) => {
          setConfirming(false);
          void run('Removing', async () => {
            await api.remove(torrent.infoHash, deleteData);
            notify('info', `Removed ${label}${deleteData ? ' and its data' : ''}`);
            onRemoved?.();
          });
        }} />
      )}
    </span>
  );
}

export function RemoveDialog({ name, onCancel, onConfirm }: { name: string; onCancel: () => void; onConfirm: (deleteData: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [deleteData, setDeleteData] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} class="card" onCancel={onCancel} aria-label="Remove torrent">
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); onConfirm(deleteData); }}>
        <h2>Remove torrent?</h2>
        <p class="wrap">{name}</p>
        <label class="check">
          <input type="checkbox" name="deleteData" checked={deleteData} onChange={(e) => setDeleteData(e.currentTarget.checked)} />
          Also delete the downloaded data
        </label>
        {deleteData && <p class="warning">The files will be deleted from disk. This cannot be undone.</p>}
        <div class="buttons">
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" class="danger">{deleteData ? 'Remove and delete data' : 'Remove'}</button>
        </div>
      </form>
    </dialog>
  );
}
