/** django-cacheops' automatic caching: which model reads the `CACHEOPS` setting has cacheops cache, read as cacheops does. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Workspace } from '../server/src/analysis/workspace';
import { cacheopsCaches, cacheopsProfileOf } from '../server/src/analysis/libraries';
import { factsOf } from './tree';

const encode = (text: string) => new TextEncoder().encode(text);

async function profilesOf(settings: string) {
  const files = new Map([
    ['site/__init__.py', encode('')],
    ['site/settings.py', encode(`INSTALLED_APPS = ["cacheops", "shop"]\n${settings}`)],
  ]);
  return new Workspace(await factsOf(files)).settings.cacheops;
}

test('a profile merges over CACHEOPS_DEFAULTS, and the exact key wins over the wildcards', async () => {
  const [profiles, ...others] = await profilesOf(`
CACHEOPS_DEFAULTS = {"timeout": 60 * 60, "ops": ("fetch",)}
CACHEOPS = {
    "auth.user": {"ops": "get", "timeout": 60 * 15},
    "auth.*": {},
    "Shop.Product": None,
    "shop.*": {"ops": "all"},
    "*.*": {"ops": ["count", "unknown_op"]},
}
`);
  assert.equal(others.length, 0);
  const of = (app: string, name: string) => cacheopsProfileOf(profiles, app, name);
  assert.deepEqual(of('auth', 'User')?.ops, ['get']);
  assert.equal(of('auth', 'User')?.timeout, 900);
  // No ops of its own: the defaults' ops and timeout.
  assert.deepEqual(of('auth', 'Group')?.ops, ['fetch']);
  assert.equal(of('auth', 'Group')?.timeout, 3600);
  // Keys are matched lower-cased; None caches nothing even under a wildcard that caches all.
  assert.deepEqual(of('shop', 'Product')?.ops, []);
  assert.deepEqual(of('shop', 'Order')?.ops, ['get', 'fetch', 'count', 'aggregate', 'exists']);
  assert.deepEqual(of('blog', 'Post')?.ops, ['count']);
  // get() fetches through the queryset: `fetch` caches it, `count` does not.
  assert.equal(cacheopsCaches(of('auth', 'Group')!, 'get'), true);
  assert.equal(cacheopsCaches(of('auth', 'Group')!, 'count'), false);
  assert.equal(cacheopsCaches(of('blog', 'Post')!, 'fetch'), false);
});

test('settings that do not say what cacheops caches in literals say nothing', async () => {
  const unknownOps = await profilesOf(`
OPS = {"get"}
CACHEOPS_DEFAULTS = {"timeout": 60}
CACHEOPS = {"shop.*": {"ops": OPS}}
`);
  assert.equal(unknownOps[0][0].ops, undefined);
  assert.equal(cacheopsCaches(unknownOps[0][0], 'get'), false);
  const unknownDefaults = await profilesOf(`
CACHEOPS_DEFAULTS = make_defaults()
CACHEOPS = {"shop.*": {"timeout": 60}}
`);
  assert.equal(unknownDefaults[0][0].ops, undefined);
  // A key that is not a literal may be any model's: the whole setting is left out.
  assert.deepEqual(await profilesOf(`KEY = "shop.product"\nCACHEOPS = {"shop.*": {"ops": "all"}, KEY: None}\n`), []);
  assert.deepEqual(
    await profilesOf(`CACHEOPS_ENABLED = False\nCACHEOPS = {"shop.*": {"ops": "all", "timeout": 60}}\n`),
    [],
  );
});
