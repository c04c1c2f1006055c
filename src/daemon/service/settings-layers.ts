/**
 * The session settings in two layers: those stored (config file) and this run's overrides
 * (command-line flags), which are never written back. A PATCH changes the stored layer and
 * ends the override of every key it names.
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

  constructor(stored: Settings, overrides: Partial<Settings> = {}) {
    this.stored = stored;
    this.overrides = { ...overrides };
    this.now = applySettingsPatch(stored, this.overrides);
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
    const current = applySettingsPatch(stored, overrides as Partial<Settings>);
    return { stored, overrides: overrides as Partial<Settings>, current, changed: changed as Partial<Settings> };
  }

  commit(c: SettingsChange): void {
    this.stored = c.stored;
    this.overrides = c.overrides;
    this.now = c.current;
  }
}
