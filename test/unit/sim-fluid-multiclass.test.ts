/**
 * The multiclass fluid model (fluid.ts: Fan–Chiu–Lui / Liao et al. allocation, steady state
 * by Little's law) against values computed by hand, and the capacity-mix parser.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fluidDownloadTime, multiclassFluidTimes } from '../../src/sim/scenarios/fluid.js';
import { BHARAMBE_2006, parseCapacities } from '../../src/sim/scenarios/capacity.js';

const near = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} is not ${b}`);
const BIG = 1e6;
const two = (u1: number, u2: number, c1 = BIG, c2 = BIG) => [{ share: 0.5, upload: u1, download: c1 }, { share: 0.5, upload: u2, download: c2 }];

describe('the multiclass fluid model', () => {
  it('pools all upload with no reciprocation: every class takes 1/mean upload (Qiu–Srikant)', () => {
    const r = multiclassFluidTimes({ arrivalRate: 1, classes: two(0.1, 0.3), reciprocalShare: 0 });
    near(r.times[0], 5);
    near(r.times[1], 5);
    near(r.mean, 5);
    near(r.present[0], 2.5);
  });

  it('with pure reciprocation each class takes 1/its own upload', () => {
    const r = multiclassFluidTimes({ arrivalRate: 1, classes: two(0.1, 0.3), reciprocalShare: 1 });
    near(r.times[0], 10, 1e-4);
    near(r.times[1], 10 / 3, 1e-4);
    near(r.mean, (10 + 10 / 3) / 2, 1e-4);
  });

  it('with half reciprocated, the even share L solves 0.05/(0.05+L) + 0.15/(0.15+L) = 1 (L² = 0.0075)', () => {
    const r = multiclassFluidTimes({ arrivalRate: 1, classes: two(0.1, 0.3), reciprocalShare: 0.5 });
    const L = Math.sqrt(0.0075);
    near(r.times[0], 1 / (0.05 + L));
    near(r.times[1], 1 / (0.15 + L));
    // Little's law over-represents the slow class among those present.
    assert.ok(r.present[0] > r.present[1]);
    near(r.mean, 10 / Math.sqrt(3));
  });

  it('counts the origin seed and lingering seeds as pooled upload, as the one-class model does', () => {
    const one = [{ share: 1, upload: 0.1, download: BIG }];
    near(multiclassFluidTimes({ arrivalRate: 1, classes: one, reciprocalShare: 0, originUpload: 0.5 }).mean, 5);
    near(multiclassFluidTimes({ arrivalRate: 1, classes: one, reciprocalShare: 0.9, originUpload: 0.5, seedLeaveRate: 0.5 }).mean,
      fluidDownloadTime({ arrivalRate: 1, upload: 0.1, download: BIG, seedLeaveRate: 0.5, originUpload: 0.5 }));
  });

  it('gives a capped class its link and the rest of the share to the others (work-conserving)', () => {
    // Class A (c = 0.1) would get 0.2 pooled: it takes 0.1 (10 s, 5 present uploading 0.5); B
    // then balances 0.5 + 0.15/d_B = 1: d_B = 0.3.
    const r = multiclassFluidTimes({ arrivalRate: 1, classes: two(0.1, 0.3, 0.1), reciprocalShare: 0 });
    near(r.times[0], 10);
    near(r.times[1], 10 / 3);
  });

  it('is download-bound when every link full still leaves upload over', () => {
    const r = multiclassFluidTimes({ arrivalRate: 1, classes: two(1, 1, 0.5, 0.25), reciprocalShare: 0.9 });
    near(r.times[0], 2);
    near(r.times[1], 4);
  });

  it("skews the default mix's mean well above the pooled figure under tit-for-tat", () => {
    const F = 4 * 1024 * 1024 * 8;
    const classes = BHARAMBE_2006.map((c) => ({ share: c.share, upload: c.uploadBps / F, download: c.downloadBps / F }));
    const pooled = multiclassFluidTimes({ arrivalRate: 1, classes, reciprocalShare: 0, originUpload: 5e6 / F });
    const tft = multiclassFluidTimes({ arrivalRate: 1, classes, reciprocalShare: 8 / 9, originUpload: 5e6 / F });
    assert.ok(tft.mean > 2 * pooled.mean, `${tft.mean} vs ${pooled.mean}`);
    // Fastest class fastest, slowest slowest.
    assert.ok(tft.times[3] < tft.times[2] && tft.times[2] < tft.times[1] && tft.times[1] < tft.times[0]);
  });
});

describe('parseCapacities', () => {
  it('reads DOWN/UP[@SHARE] classes with k/M/G and normalises shares', () => {
    assert.deepEqual(parseCapacities('2M/512k'), [{ name: '2M/512k', share: 1, downloadBps: 2e6, uploadBps: 512e3 }]);
    const m = parseCapacities('784k/128k@1, 10M/5M@3');
    assert.deepEqual(m.map((c) => [c.name, c.share, c.uploadBps]), [['784k/128k', 0.25, 128e3], ['10M/5M', 0.75, 5e6]]);
    assert.deepEqual(parseCapacities('bharambe'), [...BHARAMBE_2006]);
  });

  it('refuses malformed classes with the part named', () => {
    assert.throws(() => parseCapacities('2M'), /'2M' is not DOWN\/UP/);
    assert.throws(() => parseCapacities('2M/512k@0'), /positive/);
    assert.throws(() => parseCapacities(''), /no capacity classes/);
  });
});
