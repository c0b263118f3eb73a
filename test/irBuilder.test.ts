/**
 * The Python IR builder (syntax/python.ts) and the facts phase's reads, checked four ways:
 * - the facts of every Python file in examples/ and test/fixtures/ still digest to the values
 *   recorded below (recorded from the Node-object builder that the cursor walk replaced, so any
 *   change of the IR is deliberate); a unit whose sources changed since is skipped, not failed;
 * - columns are UTF-16 code units whatever the text (accents, emoji, CRLF line ends);
 * - hostile text gives partial facts and never throws;
 * - files are read ahead (engine/readAhead.ts) yet handed over in order, unreadable ones as undefined.
 *
 * After a deliberate change of the IR, print the new table with
 * `DJCACHE_RECORD_IR=1 node --test out/test/irBuilder.test.js`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'crypto';
import * as path from 'path';
import { packageDirsOf } from '../server/src/engine/engine';
import type { WorkspaceFs } from '../server/src/engine/types';
import { extractFacts, moduleNameFor } from '../server/src/facts/extract';
import { readAhead } from '../server/src/engine/readAhead';
import type { PythonFacts } from '../server/src/facts/types';
import type { Expr, Stmt } from '../server/src/syntax/ir';
import { loadPythonParser } from '../server/src/syntax/parser';
import { readTree } from './tree';

const repo = path.join(__dirname, '..', '..');

/** Digests by unit: each examples/ file on its own, each fixture directory as a whole. */
const RECORDED: Record<string, [source: string, facts: string]> = {
  'examples/shop/catalog/__init__.py': ['a9e66fba2e080fc0', 'a098dd8307c581d8'],
  'examples/shop/catalog/admin.py': ['e93ca302926b8981', '4324805033cc9ddc'],
  'examples/shop/catalog/api.py': ['3bcb0ade821743c0', '8d49822c6d6820f8'],
  'examples/shop/catalog/apps.py': ['6ed6f612eef90fa6', 'b184639998f97ece'],
  'examples/shop/catalog/caching.py': ['15acd376c84975cf', 'b1268d6c7f4fead0'],
  'examples/shop/catalog/context_processors.py': ['491d86825c5f79f2', '78f94884b0cecc1b'],
  'examples/shop/catalog/management/__init__.py': ['4bec566f04e15888', '8a22079e4b7b1300'],
  'examples/shop/catalog/management/commands/__init__.py': ['6503c510178b45ac', '446479102fcd9e3d'],
  'examples/shop/catalog/management/commands/flush_storefront.py': ['374cbc2cf1632845', '475f77264e9b7b1d'],
  'examples/shop/catalog/management/commands/import_prices.py': ['7dc836c6927fc6e5', 'd2749a51ea02aab2'],
  'examples/shop/catalog/migrations/0001_initial.py': ['c6095fab49c071d1', '226a1633bcb7e1ca'],
  'examples/shop/catalog/migrations/__init__.py': ['f4f239318b84c15a', '3a7abf59f9e7d74e'],
  'examples/shop/catalog/models.py': ['85155860747a8440', 'e5bfe5c744600b68'],
  'examples/shop/catalog/pricing.py': ['a90b80a53ade9389', 'b39125166cae673f'],
  'examples/shop/catalog/serializers.py': ['bd25837cd4984075', '50e64eb5afddd67e'],
  'examples/shop/catalog/services.py': ['c4141418414af313', '4c93b3c1c62d1546'],
  'examples/shop/catalog/signals.py': ['e111a42a21f3fbcf', '7770d051367da609'],
  'examples/shop/catalog/urls.py': ['f2e653117d45c0f2', '5ea6b71b9c79feb5'],
  'examples/shop/catalog/views.py': ['34c7818a39f1de84', 'fb0d3509e19b52c4'],
  'examples/shop/manage.py': ['e729d5b93453fb21', 'db11a04eb49c9311'],
  'examples/shop/orders/__init__.py': ['fd516925a2974564', 'a85e3cbc7d5138df'],
  'examples/shop/orders/admin.py': ['00ac75effb7b1f26', '117906586d730aa4'],
  'examples/shop/orders/api.py': ['75bebefc312df545', 'f030e4bbb7408c22'],
  'examples/shop/orders/apps.py': ['c159ba463a7a4b3f', 'de83fd4141910def'],
  'examples/shop/orders/cache_keys.py': ['48f61a5ba44fd797', '0dfae3d0433c88ac'],
  'examples/shop/orders/migrations/0001_initial.py': ['92b8baebf40a17cb', '6497d61dafea45bc'],
  'examples/shop/orders/migrations/__init__.py': ['51f485da83d61f40', 'a6828b771c0ddfad'],
  'examples/shop/orders/models.py': ['daa1c0f5f897adb5', 'cef434a581d85337'],
  'examples/shop/orders/reports.py': ['ac9ab1826843e8d6', '8a893e2dae00c2c6'],
  'examples/shop/orders/serializers.py': ['e73c943829c14fa1', 'e3c1e22bab8fc213'],
  'examples/shop/orders/services.py': ['926b5fe01766cd3e', '11ba29b71aa1a422'],
  'examples/shop/orders/signals.py': ['7ce79f0db917f452', '42e529b6eb5f3ab5'],
  'examples/shop/orders/urls.py': ['363bbf76aa8d5d62', '43ba120abb0e3479'],
  'examples/shop/orders/views.py': ['1cd24a13a104ae6e', 'f58fa7695ffc63dd'],
  'examples/shop/reviews/__init__.py': ['b1e074bbee06d43e', 'cd0be6714b54de01'],
  'examples/shop/reviews/admin.py': ['5373ea35a5e27342', 'e543e7b5573fecca'],
  'examples/shop/reviews/api.py': ['aacd82f75e6663e8', '7c196819285a617e'],
  'examples/shop/reviews/apps.py': ['d37a5c4d1c25ea92', '8cc84d93fb2093ef'],
  'examples/shop/reviews/migrations/0001_initial.py': ['7a3406bffca8a1ac', 'd2fb9b8f64689535'],
  'examples/shop/reviews/migrations/__init__.py': ['66a91421619d4548', 'af056e0413634f92'],
  'examples/shop/reviews/models.py': ['cb28a02b9e23e78b', '4afecffeb724b1b3'],
  'examples/shop/reviews/serializers.py': ['9b47e8ebfc3a85e7', '4295d6d636e77931'],
  'examples/shop/reviews/services.py': ['03f602e0ee025f30', 'f6ce9815db348df7'],
  'examples/shop/reviews/signals.py': ['5d4c59710677dab8', '1679e9c3b1eed9ea'],
  'examples/shop/shop/__init__.py': ['df0bdbd82baee8d4', '42988f5de04c6518'],
  'examples/shop/shop/api_urls.py': ['a1f888ebf6042995', '275215a5cad68be0'],
  'examples/shop/shop/asgi.py': ['97fb29d53aa9421d', '6ebac3557812def4'],
  'examples/shop/shop/settings.py': ['5e9adac4ac9b6d4c', 'f5790972b622e57d'],
  'examples/shop/shop/urls.py': ['8f6ce4018bbdb902', '39e82915dfe1ec36'],
  'examples/shop/shop/utils/__init__.py': ['513eb5cd810b98df', '968ecc32d588ac15'],
  'examples/shop/shop/utils/caching.py': ['7364028117db15d0', '26eb32ef5b6c2db3'],
  'examples/shop/shop/utils/text.py': ['c7291268cd48b9d3', '7c2e283bb37209d6'],
  'examples/shop/shop/wsgi.py': ['11ed89a449be1366', 'a7bb19541a83d9db'],
  'test/fixtures/djc101_delete_uncovered': ['071b39d7a3aef029', 'a5241b28798bfdcd'],
  'test/fixtures/djc101_never_expires': ['e3e86bd518d91d89', '302ffa49a5331143'],
  'test/fixtures/djc101_related_model_uncovered': ['c6d5482c21d146bd', '629338b4cbf93709'],
  'test/fixtures/djc102_other_model_covered': ['14c23b83254399d0', '2c26034fe6c38172'],
  'test/fixtures/djc102_shared_table': ['24469cd707f5777c', '1df1a720cab1ff58'],
  'test/fixtures/djc102_shared_table_fixed_timeout': ['d98f5f289420b068', '612703b4df930476'],
  'test/fixtures/djc103_bulk_writes': ['83f8487e00ec2de9', '6ccd44ea3dadec9f'],
  'test/fixtures/djc103_raw_sql': ['f9f5a290dee3d22e', '8913bb25958058c7'],
  'test/fixtures/djc103_reverse_fk_add': ['0292fbb64892d914', 'c87ffbc150cf0e8d'],
  'test/fixtures/djc103_through_model_write': ['6f47671385518095', 'ea8a0be31cd65488'],
  'test/fixtures/djc104_alias_mismatch': ['08bf0183aa645aa8', '63bb67d417b0e79d'],
  'test/fixtures/djc104_key_typo': ['6e726be046e14e50', 'e572fa3bd2fb3e55'],
  'test/fixtures/djc104_version_constant': ['3033e0ddac896c4c', 'de00f4fd63e0d56f'],
  'test/fixtures/djc104_version_mismatch': ['b3b64589bd445ebc', '84fb858ea2c874b4'],
  'test/fixtures/djc105_atomic_requests': ['7142ae36578c70af', '4a68ae81e836e6e5'],
  'test/fixtures/djc105_delete_in_transaction': ['c4b5d3ba5640c9d5', 'ff98480c01f9e110'],
  'test/fixtures/djc106_fixed_timeout': ['8ff7b26d73191e98', '08f17c3bc100f3cb'],
  'test/fixtures/djc107_sequential_deletes': ['b1c865636c166abc', '7605ba6f1a263710'],
  'test/fixtures/guard_functools': ['1de855517d514b28', '9abf7c21717fea0d'],
  'test/fixtures/guard_hash_keyed': ['17745c8714c6feb4', '6bb2088d9a125d8d'],
  'test/fixtures/guard_local_cache_name': ['26d9356aca4b0f86', '236453745da962d2'],
  'test/fixtures/guard_locks': ['8b311c61393e1073', 'b418cc30a8cf043b'],
  'test/fixtures/guard_lookup_values': ['dbd3748cbad3f3f8', '3e0b10ae5eaea000'],
  'test/fixtures/guard_other_library_cache': ['8787ebf27b4dd4e0', '05e2439cd67653de'],
  'test/fixtures/guard_real_world': ['cd396952cfce9233', '01a8603d84e73a14'],
  'test/fixtures/guard_throttle_counters': ['3c8c05b59fca2960', 'b70a73a6f9da669f'],
  'test/fixtures/ok_cbv_template_fragment': ['d428962f0844b4df', '4a49e02b83d37921'],
  'test/fixtures/ok_clear_in_receiver': ['7136db11e606772e', 'bff4beaccccd1686'],
  'test/fixtures/ok_column_disjoint_write': ['730d793464420222', '08a562ad5e27826a'],
  'test/fixtures/ok_connect_in_ready': ['306a8cbcb444679f', 'ab8b8468b1fe5184'],
  'test/fixtures/ok_custom_signal': ['7d00a39f1e70b769', 'eeaeb8b75a800422'],
  'test/fixtures/ok_delete_many': ['5be1cbdb61114555', '2ca5cfe8c8a7ffdd'],
  'test/fixtures/ok_key_builder': ['7620500a63145d8a', '5faab3978e64ef72'],
  'test/fixtures/ok_m2m_changed': ['bfe47fadeb777190', '17b54120e717f92c'],
  'test/fixtures/ok_on_commit': ['447f3ee41af1e6ac', 'b1d3fa5edf8a51e8'],
  'test/fixtures/ok_on_commit_in_atomic': ['befc7d5d28f33b4e', '9e35900e9f9b972a'],
  'test/fixtures/ok_receiver_any_sender': ['6fb3eb4bb0a12d62', '1312bd568842fff9'],
  'test/fixtures/ok_receiver_decorator': ['18a025a516ab0679', '84dfd44ada616dc8'],
  'test/fixtures/ok_receiver_sender_string': ['f59e1c0b6d177b16', '9302f720826e23dc'],
  'test/fixtures/ok_save_delete_override': ['88b6dc68c78814cf', 'e94501793e4fe54d'],
  'test/fixtures/ok_template_fragment_key': ['12601c8f3ef1f722', '57a88edef5f6c936'],
  'test/fixtures/ok_transitive_helper': ['234459f295389971', '5163c0e9c3bb0d39'],
  'test/fixtures/ok_version_bump': ['41e10701e4f7072d', '5c625be654e0b440'],
  'test/fixtures/ok_version_bump_get_or_set': ['bafc1011c6fb7c51', 'd3d9ea177fcf1459'],
  'test/fixtures/ok_write_site_delete': ['f036a761456e0737', 'b99761509d9bc41d'],
  'test/fixtures/reads_alias_global': ['b8d65f651f944ba0', '2e36f0e1e247a66e'],
  'test/fixtures/reads_async_cache_api': ['377b9eb39b575723', '94092c16e8ffa16f'],
  'test/fixtures/reads_fk_target': ['c17e8fce0dcefb5c', '388971f5e6dba0c3'],
  'test/fixtures/reads_get_or_set': ['e64993e9a4d87ae9', '3571d22c28b569ba'],
  'test/fixtures/reads_get_user_model': ['7d7ab147318b5718', 'd16e305accae2d1a'],
  'test/fixtures/reads_memoize_decorator': ['8e0d096929c9fbbb', 'b7f5106b402faa22'],
  'test/fixtures/reads_model_method_self': ['5adb38bfe1f73738', '10c3cf09d371ad34'],
  'test/fixtures/reads_project_wrapper': ['3c88a6ee3baaaa0c', '72188cb3651e9fd3'],
  'test/fixtures/reads_queryset_shapes': ['4d6282072a4c17ba', 'ca4f0215fb525432'],
  'test/fixtures/reads_related_reviews': ['abcab6f009e3bac9', '6ffa51e3973a6c14'],
  'test/fixtures/reads_subquery_exists': ['d677dff4d4117a92', '2083606f40a0108f'],
  'test/fixtures/reads_walrus': ['ea946d6ce62d0278', 'eceec0998c46b9e7'],
  'test/fixtures/robust_binary_junk': ['a0ae66e693887e44', 'b4e55255fd175ead'],
  'test/fixtures/robust_empty_files': ['84927516327415cd', '55927b0b47baac76'],
  'test/fixtures/robust_non_utf8': ['6ffb485b77caf986', '94694026a2911fc1'],
  'test/fixtures/robust_syntax_errors': ['748482541a6a748e', '27faacaf69596a1d'],
  'test/fixtures/suppression_comments': ['892350a3d2491733', '3ecfc8d7fbfc9d5e'],
  'test/fixtures/unwritten_model_info': ['7f907a7457d18da8', '31367f6ed05ece03'],
  'test/fixtures/views_cbv_template_fragment': ['f9b0594627ec93f5', '373d02fe34a78618'],
  'test/fixtures/views_drf_nested_serializer': ['d9c9887df2fe3af8', '0a615e25f89284ef'],
  'test/fixtures/views_template_cache_page': ['a6a7bfd2b71d6d50', 'd95b2880706c36d2'],
  'test/fixtures/views_urls_cache_page': ['688e706e69ad46eb', '71926f5c0afa746d'],
  'test/fixtures/writes_forms_and_serializers': ['5a063118c564749e', '1dd09e494d97110b'],
};

interface Unit {
  name: string;
  files: [string, Uint8Array][];
}

/** Every examples/ Python file, and every fixture directory's Python files, with paths relative to the project root. */
function units(): { root: string; unit: Unit }[] {
  const out: { root: string; unit: Unit }[] = [];
  const examples = path.join(repo, 'examples');
  for (const [rel, bytes] of readTree(examples)) {
    if (!rel.endsWith('.py')) continue;
    const [project, ...rest] = rel.split('/');
    out.push({
      root: path.join(examples, project),
      unit: { name: `examples/${rel}`, files: [[rest.join('/'), bytes]] },
    });
  }
  const fixtures = path.join(repo, 'test', 'fixtures');
  const byDir = new Map<string, [string, Uint8Array][]>();
  for (const [rel, bytes] of readTree(fixtures)) {
    if (!rel.endsWith('.py')) continue;
    const [dir, ...rest] = rel.split('/');
    byDir.set(dir, [...(byDir.get(dir) ?? []), [rest.join('/'), bytes]]);
  }
  for (const [dir, files] of byDir)
    out.push({ root: path.join(fixtures, dir), unit: { name: `test/fixtures/${dir}`, files } });
  return out;
}

function digest(parts: (string | Uint8Array)[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

test('facts of every example and fixture file match the recorded digests', async () => {
  const parser = await loadPythonParser();
  const recorded: string[] = [];
  let compared = 0;
  for (const { root, unit } of units()) {
    // Module names as the engine gives them: packages are folders with __init__.py below the unit's root.
    const packageDirs = packageDirsOf(readTree(root).keys());
    const source = digest(unit.files.flatMap(([rel, bytes]) => [rel, bytes]));
    const facts = unit.files.map(([rel, bytes]) =>
      extractFacts(
        parser,
        rel,
        bytes,
        moduleNameFor(rel, (d) => packageDirs.has(d)),
      ),
    );
    const factsDigest = digest(facts.map((f) => JSON.stringify(f)));
    recorded.push(`  '${unit.name}': ['${source}', '${factsDigest}'],`);
    const want = RECORDED[unit.name];
    if (!want || want[0] !== source) continue;
    compared++;
    // Recording prints the whole table, so a changed unit must not stop the loop.
    if (!process.env.DJCACHE_RECORD_IR) assert.equal(factsDigest, want[1], `facts of ${unit.name} changed`);
  }
  if (process.env.DJCACHE_RECORD_IR) console.log(recorded.join('\n'));
  assert.ok(
    compared >= Object.keys(RECORDED).length / 2,
    `only ${compared} of ${Object.keys(RECORDED).length} recorded units still have their sources`,
  );
});

async function factsOf(text: string | Uint8Array, rel = 'app/mod.py'): Promise<PythonFacts> {
  const parser = await loadPythonParser();
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const f = extractFacts(parser, rel, bytes, { module: 'app.mod', isPackage: false });
  assert.ok(f?.kind === 'python');
  return f;
}

function firstExpr(s: Stmt | undefined): Expr {
  assert.ok(s && (s.t === 'expr' || s.t === 'assign'), `not an expression statement: ${JSON.stringify(s)}`);
  return s.value;
}

test('columns count UTF-16 code units: accents, emoji and CRLF', async () => {
  const f = await factsOf('s = "é😀"; cache.set(s, 1)\r\nt = "日本"  # 😀\r\nf(t)\n');
  const [, call, , second] = f.body;
  // `cache.set(s, 1)` starts after `s = "é😀"; `: 4 + 5 (quotes, é, two units for 😀) + 2.
  assert.deepEqual(firstExpr(call).loc, [0, 11, 0, 26]);
  const callArgs = firstExpr(call);
  assert.ok(callArgs.t === 'call');
  assert.deepEqual(callArgs.args[0].loc, [0, 21, 0, 22]);
  // CR is part of the line; rows break on LF only, as in tree-sitter.
  assert.deepEqual(firstExpr(second).loc, [2, 0, 2, 4]);
  const str = firstExpr(f.body[2]);
  assert.deepEqual(str, { t: 'str', v: '日本', loc: [1, 4, 1, 8] });
});

test('string literals: read from their text when plain, from their pieces otherwise', async () => {
  const lines = [
    `a = 'x{y}'`,
    `a = "it's"`,
    `a = ''`,
    `a = """q"z"""`,
    `a = '''a'b'''`,
    `a = rb'r'`,
    `a = U"u"`,
    String.raw`a = 'tab\tq\'s'`,
    String.raw`a = r'\d+'`,
    `a = f'k:{pk}'`,
    `a = F"{x}"`,
    `a = 'p' "q"`,
  ];
  const f = await factsOf(lines.join('\n') + '\n');
  const values = f.body.map((s) => {
    const e = firstExpr(s);
    return e.t === 'str'
      ? e.v
      : e.t === 'fstr'
        ? e.parts.map((p) => (typeof p === 'string' ? p : `<${p.t}>`)).join('')
        : e.t;
  });
  assert.deepEqual(values, [
    'x{y}',
    "it's",
    '',
    'q"z',
    "a'b",
    'r',
    'u',
    "tab\tq's",
    String.raw`\d+`,
    'k:<name>',
    '<name>',
    'pq',
  ]);
});

test('del statements: each target an expression statement marked as deleted, never read', async () => {
  const f = await factsOf('del self.rows[key], other  # gone\ndel cache[k]\n');
  const deleted = f.body.map((s) => (s.t === 'expr' && s.deletes ? s.value.t : `${s.t}, not deleted`));
  assert.deepEqual(deleted, ['sub', 'name', 'sub']);
});

test('yield statements: a return that yields, `from` when it hands out the items of an iterable', async () => {
  const f = await factsOf('def g(xs):\n    yield xs\n    yield from xs\n    yield  from(xs)\n');
  const yields = f.functions[0].body.map((s) => (s.t === 'return' ? s.yields : s.t));
  assert.deepEqual(yields, [true, 'from', 'from']);
});

test('a big literal table of constants becomes unknown; one item that names anything keeps it all', async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `    ('K${i}', "name ${i}", -${i}, 1.5, None),  # row\n`).join(
    '',
  );
  const table = await factsOf(`CODES = [\n${rows}]\nLOOKUP = {\n${rows.replace(/\(/g, '1: (')}}\n`);
  assert.deepEqual(
    table.body.map((s) => firstExpr(s).t),
    ['unknown', 'unknown'],
  );
  for (const odd of [`    (cache.get('k'), 1),\n`, `    (f'{pk}', 1),\n`, `    (pk, 1),\n`]) {
    const code = await factsOf(`ROUTES = [\n${rows}${odd}]\n`);
    const list = firstExpr(code.body[0]);
    assert.ok(list.t === 'seq' && list.items.length === 2001, `${odd.trim()}: ${list.t}`);
  }
  const small = await factsOf(`APPS = ['a', 'b']\n`);
  assert.equal(firstExpr(small.body[0]).t, 'seq');
});

test('syntax errors keep the facts of the parts that parse', async () => {
  const f = await factsOf(
    'from django.core.cache import cache\n\ndef broken(:\n    pass\n\ndef fine():\n    return cache.get("k")\n',
  );
  assert.equal(f.hasErrors, true);
  assert.deepEqual(
    f.imports.map((i) => `${i.module}.${i.name}`),
    ['django.core.cache.cache'],
  );
  assert.ok(
    f.functions.some((fn) => fn.name === 'fine'),
    JSON.stringify(f.functions.map((fn) => fn.name)),
  );
});

test('expressions nested too deep become unknown instead of exhausting the stack', async () => {
  const f = await factsOf(`VALUE = ${'f('.repeat(3000)}1${')'.repeat(3000)}\nAFTER = 2\n`);
  let depth = 0;
  for (let e = firstExpr(f.body[0]); e.t === 'call'; e = e.args[0]) depth++;
  assert.ok(depth > 50 && depth < 3000, `depth ${depth}`);
  assert.deepEqual(firstExpr(f.body[1]), { t: 'num', v: 2, loc: [1, 8, 1, 9] });
});

test('binary junk and empty text give facts without throwing', async () => {
  const junk = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7919 + 13) % 256);
  const f = await factsOf(junk);
  assert.equal(f.kind, 'python');
  const empty = await factsOf('');
  assert.deepEqual([empty.body, empty.functions, empty.hasErrors, empty.lines], [[], [], false, 0]);
});

test('files are read ahead, handed over in order, unreadable ones as undefined', async () => {
  let inFlight = 0;
  let most = 0;
  const fs: WorkspaceFs = {
    list: async () => [],
    read: async (p) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      if (p === 'gone.py') throw new Error('ENOENT');
      return Buffer.from(p);
    },
  };
  const paths = Array.from({ length: 40 }, (_, i) => (i === 7 ? 'gone.py' : `f${i}.py`));
  const read = readAhead(fs, paths);
  const got: (string | undefined)[] = [];
  for (let i = 0; i < paths.length; i++) got.push((await read(i))?.toString());
  assert.deepEqual(
    got,
    paths.map((p) => (p === 'gone.py' ? undefined : p)),
  );
  assert.ok(most > 1 && most <= 9, `${most} reads in flight`);
});

test('Python 2 statements mark the file; Python 3 print calls and the word in strings do not', async () => {
  assert.equal((await factsOf('def f():\n    print "x"\n')).python2, true);
  assert.equal((await factsOf('exec "x = 1"\n')).python2, true);
  assert.equal((await factsOf('print("x")\ndoc = """print >> sys.stderr, 1"""\n')).python2, undefined);
});
