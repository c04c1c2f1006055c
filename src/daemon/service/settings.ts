/** Session settings: defaults, and checking a patch from the API before it is applied. */
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_ENCRYPTION_POLICY, parseEncryptionPolicy } from '../../transport/mse/index.js';
import { ServiceError, type AltSchedule, type Settings } from '../types.js';
import { altScheduleProblem, normaliseAltSchedule } from '../alt-speed.js';

export function defaultSettings(downloadDir: string): Settings {
  return {
    downloadDir: resolve(downloadDir),
    downloadRateLimit: 0,
    uploadRateLimit: 0,
    maxActiveDownloads: 3,
    maxConnections: 500,
    maxConnectionsPerTorrent: 50,
    dht: true,
    encryption: DEFAULT_ENCRYPTION_POLICY,
    utp: true,
    altDownloadRateLimit: 100 * 1024,
    altUploadRateLimit: 100 * 1024,
    altEnabled: false,
    altSchedule: null,
  };
}

const COUNTS = ['downloadRateLimit', 'uploadRateLimit', 'altDownloadRateLimit', 'altUploadRateLimit', 'maxActiveDownloads', 'maxConnections', 'maxConnectionsPerTorrent'] as const;

/** The settings with `patch` applied; ServiceError(400) naming the first bad field. Unknown fields are refused too. */
export function applySettingsPatch(current: Settings, patch: Partial<Settings>): Settings {
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === undefined) continue;
    if ((COUNTS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ServiceError(400, `${key} must be a non-negative integer`);
      if ((key === 'maxActiveDownloads' || key === 'maxConnections' || key === 'maxConnectionsPerTorrent') && value < 1) throw new ServiceError(400, `${key} must be at least 1`);
    } else if (key === 'dht' || key === 'altEnabled' || key === 'utp') {
      if (typeof value !== 'boolean') throw new ServiceError(400, `${key} must be true or false`);
    } else if (key === 'altSchedule') {
      const problem = altScheduleProblem(value);
      if (problem) throw new ServiceError(400, problem);
      out[key] = normaliseAltSchedule(value as AltSchedule | null);
      continue;
    } else if (key === 'encryption') {
      if (typeof value !== 'string' || !parseEncryptionPolicy(value)) throw new ServiceError(400, 'encryption must be prefer, require or plaintext');
    } else if (key === 'downloadDir') {
      if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0')) throw new ServiceError(400, 'downloadDir must be an absolute path');
      out[key] = resolve(value); // normalised: no '.'/'..' segments, no trailing slash
      continue;
    } else {
      throw new ServiceError(400, `unknown setting: ${key}`);
    }
    out[key] = value;
  }
  return out as unknown as Settings;
}

/** Settings read from disk over the defaults, dropping anything that does not check out. */
export function loadSettings(defaults: Settings, stored: Partial<Settings>): Settings {
  let s = defaults;
  for (const [k, v] of Object.entries(stored)) {
    try {
      s = applySettingsPatch(s, { [k]: v } as Partial<Settings>);
    } catch {
      // A bad stored value keeps its default.
    }
  }
  return s;
}
