/**
 * Alternative ("turtle") rate limits: the schedule on a fake clock, the settings checks, and
 * the service switching its session limiters on its tick as the fake wall clock passes the
 * window's edges.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inSchedule, rateLimitsInForce, type LocalTime } from '../../src/daemon/alt-speed.js';
import { DaemonService } from '../../src/daemon/service/service.js';
import { applySettingsPatch, defaultSettings } from '../../src/daemon/service/settings.js';
import type { Settings } from '../../src/daemon/types.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { waitFor } from './service-helpers.js';

const at = (day: number, hhmm: string): LocalTime => ({ day, minute: Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) });

describe('alternative rate limits: schedule', () => {
  it('a window within a day holds on its days from `from` up to (not including) `to`', () => {
    const s = { from: '09:00', to: '17:30', days: [1, 2, 3, 4, 5] };
    assert.equal(inSchedule(s, at(1, '08:59')), false);
    assert.equal(inSchedule(s, at(1, '09:00')), true);
    assert.equal(inSchedule(s, at(5, '17:29')), true);
    assert.equal(inSchedule(s, at(5, '17:30')), false);
    assert.equal(inSchedule(s, at(6, '12:00')), false, 'Saturday is not a day of the window');
  });

  it('a window past midnight runs on into the next day, by the day it started', () => {
    const s = { from: '22:00', to: '06:00', days: [5] }; // Friday night
    assert.equal(inSchedule(s, at(5, '21:59')), false);
    assert.equal(inSchedule(s, at(5, '23:00')), true);
    assert.equal(inSchedule(s, at(6, '05:59')), true, 'Saturday morning is the tail of Friday night');
    assert.equal(inSchedule(s, at(6, '06:00')), false);
    assert.equal(inSchedule(s, at(6, '23:00')), false);
    assert.equal(inSchedule({ from: '22:00', to: '06:00', days: [6] }, at(0, '01:00')), true, 'Saturday night ends on Sunday (day 0)');
  });

  it('from == to is the whole day; altEnabled wins over the schedule', () => {
    assert.equal(inSchedule({ from: '00:00', to: '00:00', days: [3] }, at(3, '13:37')), true);
    const s: Settings = { ...defaultSettings('/d'), downloadRateLimit: 1000, uploadRateLimit: 2000, altDownloadRateLimit: 10, altUploadRateLimit: 20 };
    assert.deepEqual(rateLimitsInForce(s, at(1, '12:00')), { download: 1000, upload: 2000, alt: false });
    assert.deepEqual(rateLimitsInForce({ ...s, altEnabled: true }, at(1, '12:00')), { download: 10, upload: 20, alt: true });
  });

  it('settings check and normalise a schedule', () => {
    const s = applySettingsPatch(defaultSettings('/d'), { altSchedule: { from: '22:00', to: '06:00', days: [5, 1, 5] } });
    assert.deepEqual(s.altSchedule, { from: '22:00', to: '06:00', days: [1, 5] });
    assert.equal(applySettingsPatch(s, { altSchedule: null }).altSchedule, null);
    assert.throws(() => applySettingsPatch(s, { altSchedule: { from: '7:00', to: '08:00', days: [] } }), /"from" is not HH:MM/);
    assert.throws(() => applySettingsPatch(s, { altEnabled: 'yes' as unknown as boolean }), /altEnabled must be true or false/);
  });
});

describe('alternative rate limits: the service', () => {
  let dir: string;
  let runtime: NodeRuntime;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-alt-speed-'));
    runtime = createNodeRuntime();
  });
  after(() => {
    runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('switches to the alternative limits when the fake wall clock enters the window, and back when it leaves', async () => {
    // Wall clock: Monday 2026-11-30 21:59 UTC; local time read as UTC for a fixed zone.
    let wall = Date.UTC(2026, 10, 30, 21, 59);
    const utc = (ms: number): LocalTime => ({ day: new Date(ms).getUTCDay(), minute: new Date(ms).getUTCHours() * 60 + new Date(ms).getUTCMinutes() });
    const logged: string[] = [];
    const service = await DaemonService.create({
      runtime, stateDir: join(dir, 'state'), downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.63', port: 0 }, dhtBootstrap: false,
      wallClock: () => wall, localTime: utc, log: (m) => logged.push(m),
    });
    try {
      await service.updateSettings({ downloadRateLimit: 500_000, altDownloadRateLimit: 50_000, altUploadRateLimit: 0, altSchedule: { from: '22:00', to: '06:00', days: [1] } });
      const limiters = (service as unknown as { globalLimiters: { download: { bytesPerSecond: number }; upload: { bytesPerSecond: number } } }).globalLimiters;
      assert.equal(service.stats().altRateLimits, false);
      wall = Date.UTC(2026, 10, 30, 22, 0); // Monday 22:00: the window opens; the next tick applies it
      await waitFor('the tick to apply the alternative limits', () => service.stats().altRateLimits, 10_000);
      assert.deepEqual([limiters.download.bytesPerSecond, limiters.upload.bytesPerSecond], [50_000, 0]);
      wall = Date.UTC(2026, 11, 1, 6, 0); // Tuesday 06:00: closed
      await waitFor('the tick to restore the normal limits', () => !service.stats().altRateLimits, 10_000);
      assert.equal(limiters.download.bytesPerSecond, 500_000);
      assert.deepEqual(logged.filter((m) => m.startsWith('alternative rate limits')).map((m) => m.split(' (')[0]), ['alternative rate limits on', 'alternative rate limits off']);
      // By hand: at once, without waiting for a tick.
      await service.updateSettings({ altEnabled: true });
      assert.deepEqual([service.stats().altRateLimits, limiters.download.bytesPerSecond], [true, 50_000]);
    } finally {
      await service.close();
    }
  });
});
