/**
 * The swarm half of `shoal sim churn` on a small size (30 leechers, Weibull sessions of mean
 * 60 s, seed 1): churn must cost time (leechers leave mid-download), and resuming from the
 * verified pieces must beat starting again (it fetches less again and finishes sooner).
 * Without session draws the churn runs equal the no-churn one; without the resume hook the
 * two churn runs are the same run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI_PATH } from '../interop/helpers.js';
import { runSwarmCompletion } from '../../src/sim/scenarios/swarm-churn.js';

describe('swarm completion under churn (shoal sim churn, swarm half)', () => {
  it('churn is slower than none, and resuming beats restarting', async () => {
    const c = await runSwarmCompletion({ leechers: 30, seed: 1 });
    const { noChurn, withRepair, withoutRepair } = c;
    assert.equal(noChurn.completionRate, 1);
    assert.equal(noChurn.departures, 0);
    assert.equal(noChurn.downloadedPerFile, 1);
    for (const r of [withRepair, withoutRepair]) {
      assert.ok(r.departures > 0, `${r.mode}: leechers left mid-download`);
      assert.ok(r.sessionsPerLeecher > 1, `${r.mode}: leechers came back`);
      assert.ok(r.meanCompletionS! > noChurn.meanCompletionS!, `${r.mode} ${r.meanCompletionS} s against ${noChurn.meanCompletionS} s without churn`);
    }
    // The same session draws: restarting leechers stay longer in the swarm, so leave more often.
    assert.ok(withoutRepair.departures >= withRepair.departures);
    assert.ok(withRepair.meanCompletionS! < withoutRepair.meanCompletionS!, `resume ${withRepair.meanCompletionS} s, restart ${withoutRepair.meanCompletionS} s`);
    // Resume loses only unverified blocks; restart fetches the pieces it had again.
    assert.ok(withRepair.downloadedPerFile! < 1.1, `resume fetched ${withRepair.downloadedPerFile} files`);
    assert.ok(withoutRepair.downloadedPerFile! > withRepair.downloadedPerFile! + 0.1, `restart fetched ${withoutRepair.downloadedPerFile} files`);
  });

  it('shoal sim churn --json carries swarmCompletion beside lookupSuccess', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'sim', 'churn', '--nodes', '20', '--announcers', '2', '--minutes', '10', '--lookups', '2', '--models', 'weibull', '--repair', 'full', '--swarm-leechers', '8', '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { lookupSuccess: number; swarmCompletion: Record<string, { completionRate: number; leechers: number }> };
    assert.equal(typeof j.lookupSuccess, 'number');
    for (const k of ['withRepair', 'withoutRepair', 'noChurn']) {
      assert.equal(j.swarmCompletion[k].leechers, 8);
      assert.ok(j.swarmCompletion[k].completionRate >= 0 && j.swarmCompletion[k].completionRate <= 1);
    }
    const skip = spawnSync(process.execPath, [CLI_PATH, 'sim', 'churn', '--nodes', '20', '--announcers', '2', '--minutes', '10', '--lookups', '2', '--models', 'weibull', '--repair', 'full', '--swarm-leechers', '0', '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(skip.status, 0, skip.stderr);
    assert.equal((JSON.parse(skip.stdout) as { swarmCompletion: unknown }).swarmCompletion, null);
  });
});
