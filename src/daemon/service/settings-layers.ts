/**
 * The session settings in layers: those stored (config file), this run's overrides (flags
 * such as --download-dir), which are never written back and end when a PATCH names their key,
 * and this run's forced values (--no-dht, --no-lsd), which a PATCH does not end: it is stored
 * for later runs while the forced value stays in force.
 */
import type { Settings } from '../types.js';
import { applySettingsPatch } from './settings.js';

export interface SettingsChange {
  readonly stored: Settings;
  readonly overrides: Partial<Settings>;
  /** The settings in force after the change. */
  readonly current: Settings;
  /** The stored values of the keys the patch named (normalised): what gets written. */
  readonly changed: Partial<Settings>;
}

export class SettingsLayers {
  private stored: Settings;
  private overrides: Partial<Settings>;
  private now: Settings;
  private readonly forced: Partial<Settings>;

  constructor(stored: Settings, overrides: Partial<Settings> = {}, forced: Partial<Settings> = {}) {
    this.stored = stored;
    this.overrides = { ...overrides };
    this.forced = { ...forced };
    this.now = this.inForce(stored, this.overrides);
  }

  private inForce(stored: Settings, overrides: Partial<Settings>): Settings {
    return applySettingsPatch(applySettingsPatch(stored, overrides), this.forced);
  }

  get current(): Settings {
    return this.now;
  }

  /** Checks `patch` (ServiceError 400 naming the bad field) and works out the change; nothing changes until `commit`. */
  plan(patch: Partial<Settings>): SettingsChange {
    const stored = applySettingsPatch(this.stored, patch);
    const overrides: Record<string, unknown> = { ...this.overrides };
    const changed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      delete overrides[k];
      changed[k] = (stored as unknown as Record<string, unknown>)[k];
    }
    const current = this.inForce(stored, overrides as Partial<Settings>);
    return { stored, overrides: overrides as Partial<Settings>, current, changed: changed as Partial<Settings> };
  }

  commit(c: SettingsChange): void {
    this.stored = c.stored;
    this.overrides = c.overrides;
    this.now = c.current;
  }
}
