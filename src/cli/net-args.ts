/** Parsing of HOST:PORT arguments and the state directory shared by the networking commands. */
import type { Address } from '../runtime/types.js';
import { UsageError } from './errors.js';

/** `1.2.3.4:6881`, `[::1]:6881`, `localhost:6881`. */
export function parseHostPort(text: string, what = 'address'): Address {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${what} must be HOST:PORT, got '${text}'`);
  return { host: m[1] === 'localhost' ? '127.0.0.1' : m[1], port };
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export { defaultStateDir } from './state-dir.js';
