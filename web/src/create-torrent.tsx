/** Create a torrent from a file or folder on the daemon's machine (POST /api/create); save the .torrent, and seed it if asked. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, type CreatedTorrent } from './api.js';
import { useServices } from './context.js';
import { textToTiers } from './torrent-manage.js';

const PIECE_LENGTHS: readonly [number, string][] = [
  [0, 'Automatic'], [16384, '16 KiB'], [65536, '64 KiB'], [262144, '256 KiB'], [1048576, '1 MiB'], [4194304, '4 MiB'], [16777216, '16 MiB'],
];

/** A link that saves the .torrent the daemon made (an object URL: nothing goes back to the daemon). */
function torrentFileUrl(base64: string): string {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type: 'application/x-bittorrent' }));
}

export function CreateTorrentDialog({ onClose }: { onClose: () => void }) {
  const { api, notify } = useServices();
  const ref = useRef<HTMLDialogElement>(null);
  const [path, setPath] = useState('');
  const [pieceLength, setPieceLength] = useState(0);
  const [trackers, setTrackers] = useState('');
  const [comment, setComment] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [seed, setSeed] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<(CreatedTorrent & { href: string }) | null>(null);

  useEffect(() => {
    ref.current?.showModal();
  }, []);
  useEffect(() => () => {
    if (created) URL.revokeObjectURL(created.href);
  }, [created]);

  async function submit(e: Event) {
    e.preventDefault();
    const p = path.trim();
    if (!p.startsWith('/')) return setError('Enter the absolute path of a file or folder on the daemon\'s machine.');
    const tiers = textToTiers(trackers);
    const bad = tiers.flat().find((u) => !/^(https?|udp):\/\/[^\s/]+/i.test(u));
    if (bad) return setError(`Not a tracker URL: ${bad}`);
    setBusy(true);
    setError(null);
    try {
      const r = await api.create({
        path: p, ...(pieceLength > 0 ? { pieceLength } : {}), ...(tiers.length > 0 ? { trackers: tiers } : {}),
        ...(comment.trim() ? { comment: comment.trim() } : {}), ...(isPrivate ? { private: true } : {}), seed,
      });
      setCreated({ ...r, href: torrentFileUrl(r.torrent) });
      notify('info', seed ? `Created ${r.name} and started seeding it` : `Created ${r.name}`);
    } catch (err) {
      setError(`Creating the torrent: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} class="card create" onCancel={onClose} aria-label="Create torrent">
      <form onSubmit={(e) => void submit(e)}>
        <h2>Create a torrent</h2>
        <label>
          File or folder (on the daemon's machine)
          <input type="text" value={path} placeholder="/home/me/Videos/holiday" spellcheck={false} required
            onInput={(e) => setPath(e.currentTarget.value)} />
        </label>
        <label>
          Piece size
          <select value={pieceLength} onChange={(e) => setPieceLength(Number(e.currentTarget.value))}>
            {PIECE_LENGTHS.map(([n, label]) => <option key={n} value={n}>{label}</option>)}
          </select>
        </label>
        <label>
          Trackers (one per line; a blank line starts the next tier)
          <textarea rows={3} value={trackers} spellcheck={false} onInput={(e) => setTrackers(e.currentTarget.value)} />
        </label>
        <label>
          Comment
          <input type="text" value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.currentTarget.checked)} />
          Private (trackers only: no DHT, PEX or local discovery)
        </label>
        <label class="check">
          <input type="checkbox" checked={seed} onChange={(e) => setSeed(e.currentTarget.checked)} />
          Start seeding it
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        {created && (
          <p class="note" role="status">
            Created <strong>{created.name}</strong> (info hash <span class="mono">{created.infoHash}</span>).{' '}
            <a href={created.href} download={`${created.name}.torrent`}>Save the .torrent file</a>
          </p>
        )}
        <div class="buttons">
          <button type="button" onClick={onClose}>{created ? 'Close' : 'Cancel'}</button>
          <button type="submit" class="primary" disabled={busy}>{busy ? 'Hashing…' : 'Create'}</button>
        </div>
      </form>
    </dialog>
  );
}
