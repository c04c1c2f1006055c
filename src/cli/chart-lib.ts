/**
 * The charting library bundled into the report: Chart.js's UMD build, read from
 * node_modules when the report is written and inlined, so the file opens offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function loadChartJs(): string {
  const require = createRequire(import.meta.url);
  // The package's exports hide dist/; its CommonJS entry sits next to the UMD build.
  const dir = dirname(require.resolve('chart.js'));
  return readFileSync(join(dir, 'chart.umd.min.js'), 'utf8');
}
