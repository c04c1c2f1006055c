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
    altDownloadRateLimit: 100 * 1024,
    altUploadRateLimit: 100 * 1024,
    altEnabled: false,
    altSchedule: null,
    listenPort: 6881,
    portMapping: true,
    utp: true,
    pex: true,
    lsd: true,
    seedRatioLimit: null,
    seedTimeLimit: null,
    seedLimitAction: 'pause',
    choker: 'tit-for-tat',
    tyrantUploadCapacity: 0,
  };
}

/** Largest share ratio / seeding time a limit may be set to (qBittorrent's caps). */
export const MAX_SEED_RATIO = 9998;
export const MAX_SEED_TIME_S = 525_600 * 60;
/** Choker policies the `choker` setting takes. */
export const CHOKER_SETTINGS = ['tit-for-tat', 'tyrant'] as const;
/** Largest tyrant upload budget, bytes/s (10 GB/s: past any access link). */
export const MAX_TYRANT_CAPACITY = 10e9;

const COUNTS = ['downloadRateLimit', 'uploadRateLimit', 'altDownloadRateLimit', 'altUploadRateLimit', 'maxActiveDownloads', 'maxConnections', 'maxConnectionsPerTorrent'] as const;

/** The settings with `patch` applied; ServiceError(400) naming the first bad field. Unknown fields are refused too. */
export function applySettingsPatch(current: Settings, patch: Partial<Settings>): Settings {
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === undefined) continue;
    if ((COUNTS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ServiceError(400, `${key} must be a non-negative integer`);
      if ((key === 'maxActiveDownloads' || key === 'maxConnections' || key === 'maxConnectionsPerTorrent') && value < 1) throw new ServiceError(400, `${key} must be at least 1`);
    } else if (key === 'listenPort') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) throw new ServiceError(400, 'listenPort must be an integer from 0 to 65535');
    } else if (key === 'seedRatioLimit') {
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_SEED_RATIO)) throw new ServiceError(400, `seedRatioLimit must be null or a number from 0 to ${MAX_SEED_RATIO}`);
    } else if (key === 'seedTimeLimit') {
      if (value !== null && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_SEED_TIME_S)) throw new ServiceError(400, `seedTimeLimit must be null or whole seconds from 0 to ${MAX_SEED_TIME_S}`);
    } else if (key === 'seedLimitAction') {
      if (value !== 'pause' && value !== 'remove') throw new ServiceError(400, 'seedLimitAction must be pause or remove');
    } else if (key === 'dht' || key === 'altEnabled' || key === 'portMapping' || key === 'utp' || key === 'pex' || key === 'lsd') {
      if (typeof value !== 'boolean') throw new ServiceError(400, `${key} must be true or false`);
    } else if (key === 'altSchedule') {
      const problem = altScheduleProblem(value);
      if (problem) throw new ServiceError(400, problem);
      out[key] = normaliseAltSchedule(value as AltSchedule | null);
      continue;
    } else if (key === 'choker') {
      if (typeof value !== 'string' || !(CHOKER_SETTINGS as readonly string[]).includes(value)) throw new ServiceError(400, `choker must be ${CHOKER_SETTINGS.join(' or ')}`);
    } else if (key === 'tyrantUploadCapacity') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_TYRANT_CAPACITY) throw new ServiceError(400, `tyrantUploadCapacity must be whole bytes/s from 0 (learnt) to ${MAX_TYRANT_CAPACITY}`);
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

/**
 * The choker a torrent starts with: the policy, and the tyrant's budget (the setting, else
 * the upload limit in force when one is set, else learnt).
 */
export function chokerOf(s: Settings, uploadLimit: number): { policy: Settings['choker']; tyrant?: { uploadCapacity: number } } {
  if (s.choker !== 'tyrant') return { policy: s.choker };
  const capacity = s.tyrantUploadCapacity > 0 ? s.tyrantUploadCapacity : uploadLimit;
  return capacity > 0 ? { policy: 'tyrant', tyrant: { uploadCapacity: capacity } } : { policy: 'tyrant' };
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
