/** Stored settings and this run's overrides: a PATCH ends the override of each key it names, and only the named keys are written. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { SettingsLayers } from '../../src/daemon/service/settings-layers.js';
import { defaultSettings } from '../../src/daemon/service/settings.js';

it('applies overrides over the stored settings until a patch names the key', () => {
  const layers = new SettingsLayers({ ...defaultSettings('/stored'), maxConnections: 10 }, { downloadDir: '/flag' });
  assert.deepEqual([layers.current.downloadDir, layers.current.maxConnections], ['/flag', 10]);
  const a = layers.plan({ maxConnections: 20 });
  assert.deepEqual(a.changed, { maxConnections: 20 });
  assert.equal(layers.current.maxConnections, 10, 'nothing changes before commit');
  layers.commit(a);
  assert.deepEqual([layers.current.downloadDir, layers.current.maxConnections], ['/flag', 20], 'the override still holds');
  const b = layers.plan({ downloadDir: '/api/' });
  assert.deepEqual(b.changed, { downloadDir: '/api' });
  layers.commit(b);
  assert.equal(layers.current.downloadDir, '/api');
  assert.throws(() => layers.plan({ maxConnections: 0 }), /maxConnections must be at least 1/);
});
