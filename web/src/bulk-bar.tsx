/** Pause, resume, recheck or remove the selected torrents together (POST /api/torrents/bulk). */
import { useState } from 'preact/hooks';
import type { TorrentId } from '../../src/daemon/types.js';
import { errorMessage, type BulkAction } from './api.js';
import { useServices } from './context.js';
import { RemoveDialog } from './widgets.js';

const DONE: Readonly<Record<BulkAction, string>> = { pause: 'Paused', resume: 'Resumed', recheck: 'Rechecking', remove: 'Removed' };

export function BulkBar({ selected, onDone, onClear }: { selected: readonly TorrentId[]; onDone: () => void; onClear: () => void }) {
  const { api, notify } = useServices();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const n = selected.length;
  const what = `${n} torrent${n === 1 ? '' : 's'}`;

  async function run(action: BulkAction, deleteData = false) {
    setBusy(true);
    try {
      const { results } = await api.bulk(action, selected, deleteData);
      const failed = Object.entries(results).filter(([, r]) => r !== 'ok');
      if (failed.length === 0) notify('info', `${DONE[action]} ${what}`);
      else notify('error', `${DONE[action]} ${n - failed.length} of ${what}; ${failed.length} failed: ${failed.slice(0, 3).map(([h, r]) => `${h.slice(0, 8)}… ${r}`).join('; ')}`);
      onDone();
    } catch (e) {
      notify('error', `${action} of ${what}: ${errorMessage(e)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="bulk-bar" role="toolbar" aria-label="Selected torrents">
      <span>{what} selected</span>
      <button type="button" disabled={busy} onClick={() => void run('pause')}>Pause selected</button>
      <button type="button" disabled={busy} onClick={() => void run('resume')}>Resume selected</button>
      <button type="button" disabled={busy} onClick={() => void run('recheck')}>Recheck selected</button>
      <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(true)}>Remove selected</button>
      <button type="button" class="link" disabled={busy} onClick={onClear}>Clear selection</button>
      {confirming && (
        <RemoveDialog name={what} onCancel={() => setConfirming(false)} onConfirm={(deleteData) => {
          setConfirming(false);
          void run('remove', deleteData);
        }} />
      )}
    </div>
  );
}
