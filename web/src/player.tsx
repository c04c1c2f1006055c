/**
 * Playing a file in the page while it downloads. The daemon hands out a short-lived URL for
 * that one file (POST .../stream-url), so the API token never goes into a URL the browser
 * keeps in its history or sends as a Referer.
 */
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from './api.js';
import { useServices } from './context.js';

const AUDIO = /\.(mp3|m4a|ogg|oga|opus|flac|wav|aac)$/i;

export function Player({ infoHash, index, path, onClose }: { infoHash: string; index: number; path: string; onClose: () => void }) {
  const { api } = useServices();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setUrl(null);
    setError(null);
    api.streamUrl(infoHash, index).then((r) => current && setUrl(r.url), (e: unknown) => current && setError(`Cannot play ${path}: ${errorMessage(e)}`));
    return () => {
      current = false;
    };
  }, [api, infoHash, index, path]);
  return (
    <section class="player" aria-label={`Playing ${path}`}>
      <header>
        <span class="wrap">{path}</span>
        <button type="button" class="link" onClick={onClose}>Close player</button>
      </header>
      {error && <p class="error" role="alert">{error}</p>}
      {url && (AUDIO.test(path)
        ? <audio controls autoplay src={url} aria-label="Audio player" />
        : <video controls autoplay src={url} aria-label="Video player" />)}
      {url && <p class="hint">The file plays while it downloads; pieces are fetched in order as you watch. <a href={url} download>Download the file</a></p>}
    </section>
  );
}
