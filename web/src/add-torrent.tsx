/** Adding torrents: a magnet link, or .torrent files from the picker (the page also takes dropped files). */
import { useRef, useState } from 'preact/hooks';
import { errorMessage } from './api.js';
import { useServices, type AppServices } from './context.js';

interface AddOptions {
  readonly savePath?: string;
  readonly paused?: boolean;
}

/** The file's bytes as base64 (chunked: String.fromCharCode takes only so many arguments). */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Adds each file in turn, telling the user about each success or failure. */
export async function addTorrentFiles(services: AppServices, files: readonly File[], options: AddOptions): Promise<void> {
  for (const file of files) {
    if (!/\.torrent$/i.test(file.name) && file.type !== 'application/x-bittorrent') {
      services.notify('error', `${file.name} is not a .torrent file`);
      continue;
    }
    if (file.size > 20 * 1024 * 1024) {
      services.notify('error', `${file.name} is too large for a .torrent file (${file.size} bytes)`);
      continue;
    }
    try {
      await services.api.add({ torrent: await fileToBase64(file), ...options });
      services.notify('info', `Added ${file.name}`);
    } catch (e) {
      services.notify('error', `Adding ${file.name}: ${errorMessage(e)}`);
    }
  }
}

export function AddTorrent() {
  const services = useServices();
  const [magnet, setMagnet] = useState('');
  const [savePath, setSavePath] = useState('');
  const [paused, setPaused] = useState(false);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const options = (): AddOptions => ({ ...(savePath.trim() ? { savePath: savePath.trim() } : {}), ...(paused ? { paused } : {}) });

  async function addMagnet(e: Event) {
    e.preventDefault();
    const m = magnet.trim();
    if (!m.startsWith('magnet:?')) {
      services.notify('error', 'A magnet link starts with "magnet:?"');
      return;
    }
    setBusy(true);
    try {
      await services.api.add({ magnet: m, ...options() });
      setMagnet('');
      services.notify('info', 'Magnet link added');
    } catch (err) {
      services.notify('error', `Adding the magnet link: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  async function pickFiles(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    setBusy(true);
    await addTorrentFiles(services, files, options());
    setBusy(false);
  }

  return (
    <section class="add card" aria-label="Add torrents">
      <form class="add-row" onSubmit={addMagnet}>
        <input type="text" name="magnet" placeholder="Paste a magnet link (magnet:?xt=…)" aria-label="Magnet link"
          value={magnet} onInput={(e) => setMagnet(e.currentTarget.value)} spellcheck={false} autocomplete="off" />
        <button type="submit" class="primary" disabled={busy || magnet.trim() === ''}>Add</button>
        <button type="button" disabled={busy} onClick={() => fileInput.current?.click()}>.torrent file…</button>
        <input ref={fileInput} type="file" accept=".torrent,application/x-bittorrent" multiple hidden onChange={pickFiles}
          aria-label="Torrent files" />
      </form>
      <details class="add-options">
        <summary>Options</summary>
        <label>
          Save to
          <input type="text" name="savePath" placeholder="default download directory" value={savePath}
            onInput={(e) => setSavePath(e.currentTarget.value)} spellcheck={false} />
        </label>
        <label class="check">
          <input type="checkbox" checked={paused} onChange={(e) => setPaused(e.currentTarget.checked)} />
          Add paused
        </label>
        <span class="hint">You can also drop .torrent files anywhere on the page.</span>
      </details>
    </section>
  );
}
