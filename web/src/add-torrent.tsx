/** Adding torrents: a magnet link, the URL of a .torrent, or .torrent files from the picker (the page also takes dropped files). */
import { useRef, useState } from 'preact/hooks';
import { errorMessage } from './api.js';
import { CategorySelect, useCategories } from './categories.js';
import { useServices, type AppServices } from './context.js';

interface AddOptions {
  readonly savePath?: string;
  readonly paused?: boolean;
  readonly category?: string;
}

/** What the one text box holds: a magnet link, an http(s) URL of a .torrent, or neither. */
export function linkKind(text: string): 'magnet' | 'url' | null {
  const t = text.trim();
  if (t.startsWith('magnet:?')) return 'magnet';
  return /^https?:\/\/\S+$/i.test(t) ? 'url' : null;
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
  const [category, setCategory] = useState('');
  const [busy, setBusy] = useState(false);
  const { categories } = useCategories();
  const fileInput = useRef<HTMLInputElement>(null);
  const options = (): AddOptions => ({
    ...(savePath.trim() ? { savePath: savePath.trim() } : {}), ...(paused ? { paused } : {}), ...(category ? { category } : {}),
  });

  async function addMagnet(e: Event) {
    e.preventDefault();
    const m = magnet.trim();
    const kind = linkKind(m);
    if (!kind) {
      services.notify('error', 'Paste a magnet link (it starts with "magnet:?") or the http(s) URL of a .torrent file');
      return;
    }
    const what = kind === 'magnet' ? 'the magnet link' : 'the torrent URL';
    setBusy(true);
    try {
      await services.api.add(kind === 'magnet' ? { magnet: m, ...options() } : { url: m, ...options() });
      setMagnet('');
      services.notify('info', kind === 'magnet' ? 'Magnet link added' : 'Torrent added from its URL');
    } catch (err) {
      services.notify('error', `Adding ${what}: ${errorMessage(err)}`);
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
        <input type="text" name="magnet" placeholder="Paste a magnet link or the URL of a .torrent" aria-label="Magnet link or torrent URL"
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
        {categories.length > 0 && (
          <label>
            Category
            <CategorySelect value={category} categories={categories} label="Category" onChange={setCategory} />
          </label>
        )}
        <label class="check">
          <input type="checkbox" checked={paused} onChange={(e) => setPaused(e.currentTarget.checked)} />
          Add paused
        </label>
        <span class="hint">You can also drop .torrent files anywhere on the page.</span>
      </details>
    </section>
  );
}
