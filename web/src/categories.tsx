/** Categories (a name and its own save path): loaded for the add form, the list filter and the torrent view; edited in Settings. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, errorMessage, type Category } from './api.js';
import { useServices } from './context.js';

/** The daemon's categories; `[]` when it has none or does not support them (404). */
export function useCategories(): { categories: readonly Category[]; reload: () => void } {
  const { api } = useServices();
  const [categories, setCategories] = useState<readonly Category[]>([]);
  const [n, setN] = useState(0);
  useEffect(() => {
    let current = true;
    api.categories().then((c) => current && setCategories(c), (e: unknown) => {
      if (current && !(e instanceof ApiError && e.status === 404)) setCategories([]);
    });
    return () => {
      current = false;
    };
  }, [api, n]);
  return { categories, reload: useCallback(() => setN((x) => x + 1), []) };
}

/** A select of categories; '' is "none". */
export function CategorySelect({ value, categories, label, onChange, noneLabel = 'No category' }: {
  value: string; categories: readonly Category[]; label: string; onChange: (name: string) => void; noneLabel?: string;
}) {
  const names = categories.map((c) => c.name);
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">{noneLabel}</option>
      {names.map((n) => <option key={n} value={n}>{n}</option>)}
      {value !== '' && !names.includes(value) && <option value={value}>{value}</option>}
    </select>
  );
}

/** The categories section of the settings dialog: add (or change a path), remove. */
export function CategoriesEditor() {
  const { api } = useServices();
  const { categories, reload } = useCategories();
  const [name, setName] = useState('');
  const [savePath, setSavePath] = useState('');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  async function save() {
    const n = name.trim(), p = savePath.trim();
    if (n === '' || n.includes('/')) return setMessage({ error: true, text: 'A category name is 1–64 characters without "/".' });
    if (!p.startsWith('/')) return setMessage({ error: true, text: 'The save path must be absolute (start with /).' });
    try {
      await api.putCategory(n, p);
      setName('');
      setSavePath('');
      setMessage({ error: false, text: `Saved category ${n}` });
      reload();
    } catch (e) {
      setMessage({ error: true, text: `Saving the category: ${errorMessage(e)}` });
    }
  }

  async function remove(n: string) {
    try {
      await api.deleteCategory(n);
      setMessage({ error: false, text: `Removed category ${n}` });
      reload();
    } catch (e) {
      setMessage({ error: true, text: `Removing the category: ${errorMessage(e)}` });
    }
  }

  return (
    <fieldset class="categories">
      <legend>Categories</legend>
      {categories.length === 0 && <p class="hint">No categories yet. A category saves its torrents under its own path.</p>}
      {categories.length > 0 && (
        <table class="category-table">
          <tbody>
            {categories.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td class="wrap mono">{c.savePath}</td>
                <td><button type="button" class="link danger" aria-label={`Remove category ${c.name}`} onClick={() => void remove(c.name)}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="category-add">
        <input type="text" aria-label="New category name" placeholder="Name" value={name} maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
        <input type="text" aria-label="New category save path" placeholder="/absolute/save/path" value={savePath} spellcheck={false}
          onInput={(e) => setSavePath(e.currentTarget.value)} />
        <button type="button" onClick={() => void save()}>Add category</button>
      </div>
      {message && <p class={message.error ? 'error' : 'note'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
    </fieldset>
  );
}
