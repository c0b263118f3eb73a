import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { type KeyPart, type KeyPattern, matchKeys, shownToMatch } from '../server/src/analysis/domain/keys';
import { KeyIndex } from '../server/src/analysis/domain/keyIndex';
import { analysedFacts } from '../server/src/analysis/fileSelection';
import { Workspace } from '../server/src/analysis/workspace';
import { analyzeFacts } from '../server/src/analysis/workspaceAnalysis';
import { defaultConfig } from '../server/src/config/config';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { factsOf, memoryFs } from './tree';

const HOLE: KeyPart = { hole: 'x', source: { kind: 'unknown' } };
/** A key from text where '*' is a hole. */
function key(text: string): KeyPattern {
  return { parts: text.split('*').flatMap((lit, i) => (i ? [HOLE, { lit }] : [{ lit }])) };
}

/** Whether two '*'-globs share a string, by trying every way to spend the holes: the definition itself. */
function shareAString(a: string, b: string): boolean {
  if (!a.length || !b.length) return /^\**$/.test(a + b);
  if (a[0] === '*') return shareAString(a.slice(1), b) || shareAString(a, b.slice(1));
  if (b[0] === '*') return shareAString(a, b.slice(1)) || shareAString(a.slice(1), b);
  return a[0] === b[0] && shareAString(a.slice(1), b.slice(1));
}

test('key matching agrees with the definition on every small pair of globs', () => {
  const globs = [''];
  for (let len = 1; len <= 4; len++)
    for (let i = 0; i < 3 ** len; i++)
      globs.push([...i.toString(3).padStart(len, '0')].map((d) => 'ab*'[Number(d)]).join(''));
  for (const a of globs) {
    for (const b of globs) {
      if (!/[ab]/.test(a) || !/[ab]/.test(b)) continue; // all-hole keys are opaque: 'conservative'
      assert.equal(matchKeys(key(a), key(b)) === 'pattern', shareAString(a, b), `${a} ~ ${b}`);
    }
  }
});

test('the key index offers every item a scan with matchKeys would find, in item order', () => {
  const globs = ['', '*', '*:*', 'a', 'ab', 'ab*', 'a*b', '*b', 'b*', 'ab*c', 'abc', 'a:*', 'a:b*'];
  const startsElsewhere = key('ba*');
  const keys: (KeyPattern | null)[] = [
    null,
    ...globs.map(key),
    startsElsewhere,
    { ...key('a*'), builder: 'm.f' },
    { ...key('zz*'), builder: 'm.f' },
    { ...key('*'), builder: 'm.g' },
    { ...key('q*'), memoized: 'm.h' },
    { ...key('*'), memoized: 'm.h' },
    { ...key('sidebar'), fragment: "'sidebar'", jinjaFragment: 'sidebar' },
    { ...key('sidebar'), fragment: 'sidebar' },
    { ...key('nav'), fragment: 'nav' },
    { ...key('views.decorators.cache.cache_page.*'), page: true },
    { ...key('other.*'), page: true },
    // Keys known only by a local name (all holes, so opaque): the same name in the same function matches.
    { ...key('*'), local: 'views.py#1' },
    { ...key('*'), local: 'views.py#2' },
  ];
  // Each key twice, once as a clear (which `always` keeps for every query).
  const items = keys.flatMap((k, i) => [
    { k, clear: false, i },
    { k, clear: true, i },
  ]);
  const index = new KeyIndex(
    items,
    (item) => item.k,
    (item) => item.clear,
  );
  for (const q of keys) {
    for (const [shown, matters] of [
      [false, (m: string) => m !== 'none'],
      [true, (m: string) => shownToMatch(m as ReturnType<typeof matchKeys>)],
    ] as const) {
      const offered = index.candidates([q], shown);
      assert.deepEqual(
        offered,
        [...offered].sort((x, y) => items.indexOf(x) - items.indexOf(y)),
        'item order',
      );
      for (const item of items) {
        if (item.clear || matters(matchKeys(q, item.k)))
          assert.ok(offered.includes(item), `${q && JSON.stringify(q)} ~ ${JSON.stringify(item)} (shown: ${shown})`);
      }
    }
  }
  // Narrowing is the point: a literal prefix rules out keys that start differently.
  assert.ok(!index.candidates([key('ab*')], true).some((item) => item.k === startsElsewhere && !item.clear));
});

test('keys of 200,000 literal characters match without recursion', () => {
  const long = 'k'.repeat(200_000);
  assert.equal(matchKeys(key(long), key(long)), 'pattern');
  assert.equal(matchKeys(key(long), key(`${long.slice(1)}j`)), 'none');
  assert.equal(matchKeys(key(`${long}*`), key(`${long}:1`)), 'pattern');
  assert.equal(matchKeys(key(`a*${long}`), key(`a${long}`)), 'pattern');
  assert.equal(matchKeys(key(`a*${'k*'.repeat(50_000)}`), key(`a${'kx'.repeat(50_000)}`)), 'pattern');
});

const MIXIN_MODELS = `from django.db import models


class Shop(models.Model):
    slug = models.SlugField(unique=True)
    region = models.CharField(max_length=20)
`;

const MIXIN_VIEWS = `from cache_memoize import cache_memoize
from django.core.cache import cache

from .models import Shop


class ShopFromUrlMixin:
    shop_cache_key = "{slug}_shop"
    page_cache_key = "page_{1}_{0}"
    region_cache_key = "{region}_{slug}_shops"

    def shop(self, slug):
        key = self.shop_cache_key.format(slug=slug)
        shop = cache.get(key)
        if shop is None:
            shop = Shop.objects.get(slug=slug)
            cache.set(key, shop, None)
        return shop

    def page(self, number, slug):
        key = self.page_cache_key.format(number, slug)
        shops = list(Shop.objects.all()[number * 10:])
        cache.set(key, shops, None)
        return shops

    def regional(self, slug):
        key = self.region_cache_key.format(slug=slug)
        shops = list(Shop.objects.filter(slug=slug))
        cache.set(key, shops, None)
        return shops


@cache_memoize(60)
def shop_count():
    return Shop.objects.count()
`;

test('keys read as written: class-attribute templates filled by keyword and position, memoized functions by name', async () => {
  const files = new Map(
    [
      ['shops/__init__.py', ''],
      ['shops/models.py', MIXIN_MODELS],
      ['shops/views.py', MIXIN_VIEWS],
    ].map(([p, text]) => [p, new TextEncoder().encode(text)]),
  );
  const { graph } = await analyzeWorkspace(memoryFs(files), defaultConfig);
  assert.deepEqual(graph.entries.map((e) => e.key).sort(), [
    'page_{slug}_{number}',
    '{region}_{slug}_shops',
    '{shops.views.shop_count(…)}',
    '{slug}_shop',
  ]);
});

const REBOUND_MODELS = `from django.db import models


class Room(models.Model):
    label = models.CharField(max_length=100)
`;

const REBOUND_VIEWS = `from django.core.cache import cache

from roomkeys import badge_key, card_key

from .models import Room


def rebound(pk):
    key = card_key(pk)
    cache.set(key, Room.objects.get(pk=pk).label, None)
    key = badge_key(pk)
    cache.delete(key)


def bound_once(pk):
    key = card_key(pk)
    cache.set(key, Room.objects.get(pk=pk).label, None)
    cache.delete(key)
`;

test('a key known only by a local name is one key where the same bindings reach it, not across a rebinding', async () => {
  const files = new Map(
    [
      ['rooms/__init__.py', ''],
      ['rooms/models.py', REBOUND_MODELS],
      ['rooms/views.py', REBOUND_VIEWS],
    ].map(([p, text]) => [p, new TextEncoder().encode(text)]),
  );
  const a = analyzeFacts(new Workspace(analysedFacts(await factsOf(files))), defaultConfig);
  // 1-based source lines of the sets and deletes above.
  const at = <T extends { loc: readonly number[] }>(items: T[], line: number) => {
    const found = items.find((x) => x.loc[0] + 1 === line);
    assert.ok(found, `nothing at line ${line}`);
    return found;
  };
  assert.equal(matchKeys(at(a.entries, 10).key, at(a.invalidations, 12).key), 'conservative');
  assert.equal(matchKeys(at(a.entries, 17).key, at(a.invalidations, 18).key), 'strong');
});
