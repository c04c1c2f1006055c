/**
 * The API token: taken from the address (`/#token=...`, as the daemon prints it), kept in
 * localStorage, and removed from the address bar so it does not linger in history or get
 * copied along with the link.
 */
const KEY = 'shoal.apiToken';

/** Moves a `#token=...` from the address into storage; returns the token now stored, if any. */
export function loadToken(): string | null {
  const hash = location.hash.replace(/^#/, '');
  if (/(^|&)token=/.test(hash)) {
    const token = new URLSearchParams(hash).get('token')?.trim();
    if (token) saveToken(token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return storedToken();
}

export function storedToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the user logs in per page load
  }
}

export function saveToken(token: string): void {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // storage disabled; the token still lives in memory for this page
  }
}

export function clearToken(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}
