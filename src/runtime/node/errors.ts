/** Maps Node's system errors onto the seam's `NetworkError` so callers see one shape. */
import { NetworkError } from '../types.js';

export function toNetworkError(err: unknown, context: string): NetworkError {
  if (err instanceof NetworkError) return err;
  const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : 'EIO';
  const detail = err instanceof Error ? err.message : String(err);
  return new NetworkError(code, `${context}: ${detail}`, { cause: err });
}
