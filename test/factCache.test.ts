/**
 * The on-disk cache: a run whose inputs are unchanged returns the stored result
 * without extracting or analysing anything; any change to a file the analysis read, to a test
 * module counted code imports, or to the configuration starts a real run; test files nothing
 * imports do not matter; a cache written by other engine code is ignored.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { defaultConfig } from '../server/src/config/config';
import type { Config } from '../server/src/config/config';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { defaultCacheDir, DiskFactCache, osCacheHome } from '../server/src/engine/factCache';
import type { FileFacts } from '../server/src/facts/types';
import { memoryFs, readTree } from './tree';

const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures');

/** A cache over `dir` that counts the fact lookups of one run. */
class CountingCache extends DiskFactCache {
  lookups = 0;
  override get(key: string): FileFacts | undefined {
    this.lookups++;
    return super.get(key);
  }
}

async function run(dir: string, files: Map<string, Uint8Array>, config: Config = defaultConfig) {
  const cache = new CountingCache(dir);
  const result = await analyzeWorkspace(memoryFs(files), config, undefined, cache);
  cache.save();
  return { codes: result.findings.map((f) => `${f.code} ${f.path}:${f.loc[0] + 1}`), lookups: cache.lookups };
}

test('fact cache: an unchanged workspace reuses the stored result, any input change recomputes it', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'djcache-cache-'));
  const dir = path.join(home, 'cache');
  try {
    const files = readTree(path.join(FIXTURES, 'ok_receiver_in_imported_testing_app'));
    files.set('catalog/tests/test_services.py', Buffer.from('def test_nothing():\n    pass\n'));
    const first = await run(dir, files);
    assert.deepEqual(first.codes, []);
    assert.ok(first.lookups > 0, 'the first run extracts facts');

    const again = await run(dir, files);
    assert.deepEqual(again, { codes: [], lookups: 0 }, 'nothing changed: the stored result, no facts looked up');

    files.set('catalog/tests/test_services.py', Buffer.from('def test_something():\n    assert True\n'));
    assert.equal((await run(dir, files)).lookups, 0, 'a test file nothing imports does not count');

    const receivers = Buffer.from(files.get('testing/receivers.py')!).toString('utf8');
    files.set('testing/receivers.py', Buffer.from(receivers.replace('cache.delete("products:active")', 'pass')));
    const receiverGone = await run(dir, files);
    assert.deepEqual(receiverGone.codes, ['DJC106 catalog/services.py:10'], 'an imported test-path module is an input');
    assert.ok(receiverGone.lookups > 0);

    const services = Buffer.from(files.get('catalog/services.py')!).toString('utf8');
    files.set('catalog/services.py', Buffer.from(services.replace('60 * 60)', '60 * 60)  # noqa: DJC106')));
    assert.deepEqual((await run(dir, files)).codes, [], 'an edited counted file is an input');

    const reconfigured = await run(dir, files, { ...defaultConfig, ignore: ['DJC101'] });
    assert.ok(reconfigured.lookups > 0, 'the configuration is an input');

    const stored = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as { code: string };
    writeFileSync(path.join(dir, 'result.json'), JSON.stringify({ ...stored, code: 'another djcache' }));
    assert.ok(
      (await run(dir, files, { ...defaultConfig, ignore: ['DJC101'] })).lookups > 0,
      'a result from other engine code is ignored',
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the cache lives in the OS cache folder, one folder per root by its real path', () => {
  const home = path.join(path.sep, 'home', 'ana');
  assert.equal(osCacheHome({}, 'linux', home), path.join(home, '.cache'));
  assert.equal(osCacheHome({ XDG_CACHE_HOME: '/var/cache/ana' }, 'linux', home), '/var/cache/ana');
  assert.equal(
    osCacheHome({ XDG_CACHE_HOME: 'relative/cache' }, 'linux', home),
    path.join(home, '.cache'),
    'XDG says to ignore a relative path',
  );
  assert.equal(osCacheHome({ XDG_CACHE_HOME: '/var/cache/ana' }, 'darwin', home), path.join(home, 'Library', 'Caches'));
  assert.equal(
    osCacheHome({ LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }, 'win32', home),
    'C:\\Users\\ana\\AppData\\Local',
  );

  const root = mkdtempSync(path.join(tmpdir(), 'djcache-root-'));
  const linked = `${root}-link`;
  symlinkSync(root, linked);
  try {
    assert.equal(path.dirname(defaultCacheDir(root, '/cache')), path.join('/cache', 'djcache'));
    assert.equal(
      defaultCacheDir(linked, '/cache'),
      defaultCacheDir(root, '/cache'),
      'a root reached through a link shares its cache',
    );
    assert.notEqual(defaultCacheDir(path.join(root, 'sub'), '/cache'), defaultCacheDir(root, '/cache'));
  } finally {
    rmSync(linked);
    rmSync(root, { recursive: true });
  }
});
