// scripts/realworld.js on a two-commit project of our own: a cache entry nothing invalidates, then
// the commit that adds the delete. The yardstick must judge the finding by its label, count the
// mined bug as found, and list a finding it has no label for.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'realworld.js');

const ACTIVE_PRODUCTS = `def active_products():
    products = cache.get("products:active")
    if products is None:
        products = list(Product.objects.filter(is_active=True))
        cache.set("products:active", products, None)
    return products
`;

const SERVICES = `from django.core.cache import cache

from .models import Product


${ACTIVE_PRODUCTS}

def rename_product(product_id, name):
    product = Product.objects.get(pk=product_id)
    product.name = name
    product.save()
`;

const MODELS = `from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
`;

interface Shop {
  mirrors: string;
  data: string;
  parent: string;
  fix: string;
  root: string;
}

/**
 * A bare mirror acme+shop/repo with the stale entry (parent) and its fix, and an empty data folder;
 * `model` renames the cached model.
 */
function shop(model = 'Product'): Shop {
  const services = SERVICES.replaceAll('Product', model);
  return mirror(
    { 'catalog/models.py': MODELS.replaceAll('Product', model), 'catalog/services.py': services },
    { 'catalog/services.py': services + '    cache.delete("products:active")\n' },
  );
}

/** A bare mirror acme+shop/repo whose parent commit holds `parentFiles` (and catalog/__init__.py) and whose fix rewrites `fixFiles`. */
function mirror(parentFiles: Record<string, string>, fixFiles: Record<string, string>): Shop {
  const root = mkdtempSync(path.join(tmpdir(), 'djcache-realworld-'));
  const mirrors = path.join(root, 'mirrors');
  const gitDir = path.join(mirrors, 'acme+shop', 'repo');
  const work = path.join(root, 'work');
  const data = path.join(root, 'data');
  for (const dir of [gitDir, path.join(work, 'catalog'), data]) mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', [
      '--git-dir',
      gitDir,
      '--work-tree',
      work,
      '-c',
      'user.name=yardstick',
      '-c',
      'user.email=yardstick@example.invalid',
      ...args,
    ])
      .toString()
      .trim();
  execFileSync('git', ['init', '-q', '--bare', gitDir]);
  writeFileSync(path.join(work, 'catalog', '__init__.py'), '');
  for (const [file, text] of Object.entries(parentFiles)) writeFileSync(path.join(work, file), text);
  git('add', '-A');
  git('commit', '-q', '-m', 'cache the active products');
  const parent = git('rev-parse', 'HEAD');
  for (const [file, text] of Object.entries(fixFiles)) writeFileSync(path.join(work, file), text);
  git('add', '-A');
  git('commit', '-q', '-m', 'forget the active products on rename');
  const fix = git('rev-parse', 'HEAD');
  writeFileSync(
    path.join(data, 'projects.json'),
    JSON.stringify([{ name: 'shop', repo: 'acme/shop', commit: parent }]),
  );
  return { mirrors, data, parent, fix, root };
}

/** The user's cache folder of the yardstick's runs: one inside the shop's temp folder. */
const cacheHome = (s: Shop) => path.join(s.root, 'cache-home');

function yardstick(s: Shop, ...extra: string[]) {
  return spawnSync(process.execPath, [SCRIPT, s.mirrors, '--data', s.data, ...extra], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cacheHome(s) },
  });
}

const HEADER = 'project\tfix_commit\tparent_commit\tmust_name\tfile\tsummary\n';

test('realworld: a labelled finding counts by its verdict and a mined bug counts when only the parent is flagged', () => {
  const s = shop();
  try {
    writeFileSync(
      path.join(s.data, 'labels.json'),
      JSON.stringify([
        {
          project: 'shop',
          path: 'catalog/services.py',
          line: 10,
          code: 'DJC101',
          key: 'products:active',
          model: 'catalog.Product',
          verdict: 'TP',
          reason: 'rename_product saves Product and nothing deletes the key',
          message: 'worded differently when judged',
        },
      ]),
    );
    writeFileSync(
      path.join(s.data, 'bugs.tsv'),
      `${HEADER}shop\t${s.fix}\t${s.parent}\tproducts:active\tcatalog/services.py\tno delete on rename\n`,
    );
    const run = yardstick(s);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), 'precision 100.0% (1/1) · bugs found 1/1 (1 with nothing left on the fix)');
    assert.ok(
      lines.some((l) => l.includes('findings 1: TP 1, FP 0, debatable 0, unjudged 0')),
      run.stdout,
    );

    const json = JSON.parse(yardstick(s, '--json').stdout);
    assert.equal(json.summary.bugsFound, 1);
    assert.equal(json.summary.bugsFoundStrictly, 1);
    assert.equal(json.projects[0].bugs[0].remainingOnFix, 0);
    // Each analysed commit is a temp folder: a fact cache kept for it would never be used again.
    assert.ok(!existsSync(path.join(cacheHome(s), 'djcache')), 'the yardstick left fact caches in the cache folder');
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('realworld: an unlabelled finding is listed for judging, and a bug named in another file is not found', () => {
  const s = shop();
  try {
    writeFileSync(path.join(s.data, 'labels.json'), '[]');
    writeFileSync(
      path.join(s.data, 'bugs.tsv'),
      `${HEADER}shop\t${s.fix}\t${s.parent}\tproducts:active\tcatalog/views.py\twrong file\n`,
    );
    const run = yardstick(s);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /NEW catalog\/services\.py:10 DJC101 key="products:active" model=catalog\.Product/);
    assert.equal(
      run.stdout.trimEnd().split('\n').at(-1),
      'precision 0.0% (0/0) · bugs found 0/1 (0 with nothing left on the fix)',
    );
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('realworld: a header-only bugs.tsv gives bugs found 0/0; a commit missing from the mirror is a tool error', () => {
  const s = shop();
  try {
    writeFileSync(path.join(s.data, 'bugs.tsv'), HEADER);
    const run = yardstick(s);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.trimEnd().split('\n').at(-1)!, /· bugs found 0\/0 \(0 with nothing left on the fix\)$/);

    writeFileSync(
      path.join(s.data, 'projects.json'),
      JSON.stringify([{ name: 'shop', repo: 'acme/shop', commit: '0'.repeat(40) }]),
    );
    const broken = yardstick(s);
    assert.equal(broken.status, 1);
    assert.match(broken.stdout, /error: shop@0{40}/);
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('realworld: a mined bug named by a model label needs that model exactly; key text still matches as a substring', () => {
  const s = shop('ProductTag');
  try {
    writeFileSync(path.join(s.data, 'labels.json'), '[]');
    const bugs = (mustName: string) =>
      writeFileSync(
        path.join(s.data, 'bugs.tsv'),
        `${HEADER}shop\t${s.fix}\t${s.parent}\t${mustName}\t\tno delete on rename\n`,
      );
    const lastLine = () => yardstick(s).stdout.trimEnd().split('\n').at(-1);
    bugs('catalog.Product');
    assert.match(lastLine()!, /· bugs found 0\/1 \(0 with nothing left on the fix\)$/);
    bugs('catalog.ProductTag');
    assert.match(lastLine()!, /· bugs found 1\/1 \(1 with nothing left on the fix\)$/);
    bugs('products:');
    assert.match(lastLine()!, /· bugs found 1\/1 \(1 with nothing left on the fix\)$/);
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('realworld: a mined bug named in the file of its entry is found by a DJC103 at a write in another file', () => {
  const receiver = `from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Product


${ACTIVE_PRODUCTS}

@receiver([post_save, post_delete], sender=Product)
def forget_active_products(sender, **kwargs):
    cache.delete("products:active")
`;
  const bulk = `from django.core.cache import cache

from .models import Product


def hide_all():
    Product.objects.update(is_active=False)
`;
  const s = mirror(
    { 'catalog/models.py': MODELS, 'catalog/services.py': receiver, 'catalog/bulk.py': bulk },
    { 'catalog/bulk.py': bulk + '    cache.delete("products:active")\n' },
  );
  try {
    writeFileSync(path.join(s.data, 'labels.json'), '[]');
    const bugs = (file: string) =>
      writeFileSync(
        path.join(s.data, 'bugs.tsv'),
        `${HEADER}shop\t${s.fix}\t${s.parent}\tcatalog.Product\t${file}\tupdate() bypasses the receiver\n`,
      );
    const run = () => yardstick(s);
    bugs('catalog/services.py');
    const found = run();
    assert.equal(found.status, 0, found.stderr);
    assert.match(found.stdout, /NEW catalog\/bulk\.py:7 DJC103/);
    assert.match(found.stdout.trimEnd().split('\n').at(-1)!, /· bugs found 1\/1 \(1 with nothing left on the fix\)$/);
    bugs('catalog/views.py');
    assert.match(run().stdout.trimEnd().split('\n').at(-1)!, /· bugs found 0\/1 \(0 with nothing left on the fix\)$/);
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('realworld: a fix that covers one of two writes finds the bug; a fix that covers neither does not', () => {
  const services = `from django.core.cache import cache

from .models import Product


${ACTIVE_PRODUCTS}

def rename_product(product_id, name):
    product = Product.objects.get(pk=product_id)
    product.name = name
    product.save()


def remove_product(product_id):
    Product.objects.get(pk=product_id).delete()
`;
  const bugs = (s: Shop) =>
    writeFileSync(
      path.join(s.data, 'bugs.tsv'),
      `${HEADER}shop\t${s.fix}\t${s.parent}\tcatalog.Product\tcatalog/services.py\tno delete on rename\n`,
    );
  const renameCovered = mirror(
    { 'catalog/models.py': MODELS, 'catalog/services.py': services },
    {
      'catalog/services.py': services.replace(
        '    product.save()\n',
        '    product.save()\n    cache.delete("products:active")\n',
      ),
    },
  );
  const nothingCovered = mirror(
    { 'catalog/models.py': MODELS, 'catalog/services.py': services },
    { 'catalog/services.py': services + '\n# TODO: forget the active products\n' },
  );
  try {
    bugs(renameCovered);
    const found = yardstick(renameCovered);
    assert.equal(found.status, 0, found.stderr);
    assert.match(found.stdout, /found: the fix resolves 1 of the parent's claims, 1 finding\(s\) left on the fix/);
    assert.match(
      found.stdout,
      /resolved: catalog\.Product in catalog\/services\.py, written at catalog\/services\.py:rename_product \(.*save\(\), save\)/,
    );
    assert.match(found.stdout.trimEnd().split('\n').at(-1)!, /· bugs found 1\/1 \(0 with nothing left on the fix\)$/);

    bugs(nothingCovered);
    const missed = yardstick(nothingCovered);
    assert.equal(missed.status, 0, missed.stderr);
    assert.match(missed.stdout, /still flagged on the fix \(1\), every claim kept/);
    assert.match(missed.stdout.trimEnd().split('\n').at(-1)!, /· bugs found 0\/1 \(0 with nothing left on the fix\)$/);
  } finally {
    rmSync(renameCovered.root, { recursive: true, force: true });
    rmSync(nothingCovered.root, { recursive: true, force: true });
  }
});

test("realworld: an admin's saves and deletes are two claims: a fix that covers its saves finds the bug", () => {
  const services = `from django.core.cache import cache

from .models import Product


${ACTIVE_PRODUCTS}`;
  const admin = `from django.contrib import admin

from .models import Product

admin.site.register(Product)
`;
  const receivers = `from django.core.cache import cache
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Product


@receiver(post_save, sender=Product)
def forget_active_products(sender, **kwargs):
    cache.delete("products:active")
`;
  const s = mirror(
    { 'catalog/models.py': MODELS, 'catalog/services.py': services, 'catalog/admin.py': admin },
    { 'catalog/receivers.py': receivers },
  );
  try {
    writeFileSync(
      path.join(s.data, 'bugs.tsv'),
      `${HEADER}shop\t${s.fix}\t${s.parent}\tcatalog.Product\tcatalog/services.py\tadmin edits not invalidated\n`,
    );
    const found = yardstick(s);
    assert.equal(found.status, 0, found.stderr);
    assert.match(
      found.stdout,
      /resolved: catalog\.Product in catalog\/services\.py, written at catalog\/admin\.py \(.*, save\)/,
    );
    assert.doesNotMatch(found.stdout, /resolved: .*, delete\)/);
    assert.match(found.stdout.trimEnd().split('\n').at(-1)!, /· bugs found 1\/1 \(0 with nothing left on the fix\)$/);
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});

test("realworld: a bug named by a model label is found only by claims about that model's writes", () => {
  const models = `${MODELS}

class Category(models.Model):
    name = models.CharField(max_length=200)
`;
  const services = `from django.core.cache import cache

from .models import Category, Product


def catalog_page():
    page = cache.get("catalog:page")
    if page is None:
        page = [list(Product.objects.all()), list(Category.objects.all())]
        cache.set("catalog:page", page, None)
    return page


def rename_product(product_id, name):
    product = Product.objects.get(pk=product_id)
    product.name = name
    product.save()


def rename_category(category_id, name):
    category = Category.objects.get(pk=category_id)
    category.name = name
    category.save()
`;
  const s = mirror(
    { 'catalog/models.py': models, 'catalog/services.py': services },
    {
      'catalog/services.py': services.replace(
        '    product.save()\n',
        '    product.save()\n    cache.delete("catalog:page")\n',
      ),
    },
  );
  try {
    writeFileSync(path.join(s.data, 'labels.json'), '[]');
    const lastLine = (model: string) => {
      writeFileSync(
        path.join(s.data, 'bugs.tsv'),
        `${HEADER}shop\t${s.fix}\t${s.parent}\t${model}\tcatalog/services.py\tno delete on rename\n`,
      );
      const run = yardstick(s);
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.trimEnd().split('\n').at(-1);
    };
    assert.match(lastLine('catalog.Product')!, /· bugs found 1\/1 /);
    assert.match(lastLine('catalog.Category')!, /· bugs found 0\/1 /);
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});
