/** Shown without a token, or when the daemon refused the one we had. */
import { useState } from 'preact/hooks';
import { Api, ApiError, errorMessage } from './api.js';

export function Login({ message, onLogin }: { message: string | null; onLogin: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(message);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError('Enter the API token.');
    setBusy(true);
    try {
      await new Api(t, () => undefined).stats();
      onLogin(t);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'The daemon refused that token.' : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form class="card" onSubmit={submit}>
        <h1>Shoal</h1>
        <p>
          Open the address <code>shoal daemon</code> printed (it ends in <code>#token=…</code>), or paste the
          token from <code>&lt;state-dir&gt;/api-token</code>.
        </p>
        <label>
          API token
          <input type="password" name="token" autocomplete="current-password" value={token}
            onInput={(e) => setToken(e.currentTarget.value)} autofocus />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Checking…' : 'Log in'}</button>
      </form>
    </main>
  );
}
