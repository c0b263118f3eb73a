/**
 * The Python IR builder (syntax/python.ts) and the facts phase's reads, checked four ways:
 * - the facts of every Python file in examples/ and test/fixtures/ still digest to the values
 *   recorded below (recorded from the Node-object builder that the cursor walk replaced, so any
 *   change of the IR is deliberate); a unit whose sources changed since is skipped, not failed;
 * - columns are UTF-16 code units whatever the text (accents, emoji, CRLF line ends);
 * - hostile text gives partial facts and never throws;
 * - files are read ahead (facts/parallel.ts) yet handed over in order, unreadable ones as undefined.
 *
 * After a deliberate change of the IR, print the new table with
 * `DJCACHE_RECORD_IR=1 node --test out/test/irBuilder.test.js`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'crypto';
import * as path from 'path';
import { packageDirsOf } from '../server/src/engine/engine';
import { type WorkspaceFs } from '../server/src/engine/types';
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
  'examples/shop/catalog/admin.py': ['e93ca302926b8981', 'f8e149ecfa162fb4'],
  'examples/shop/catalog/api.py': ['3bcb0ade821743c0', '3e79d3486754641f'],
  'examples/shop/catalog/apps.py': ['6ed6f612eef90fa6', '5321145b23e8a114'],
  'examples/shop/catalog/caching.py': ['15acd376c84975cf', 'c36977e14c8a424d'],
  'examples/shop/catalog/context_processors.py': ['491d86825c5f79f2', 'f6fc07fbf1c4fb17'],
  'examples/shop/catalog/management/__init__.py': ['4bec566f04e15888', '8a22079e4b7b1300'],
  'examples/shop/catalog/management/commands/__init__.py': ['6503c510178b45ac', '446479102fcd9e3d'],
  'examples/shop/catalog/management/commands/flush_storefront.py': ['374cbc2cf1632845', 'aa61ab865db629eb'],
  'examples/shop/catalog/management/commands/import_prices.py': ['7dc836c6927fc6e5', '870c578fc23b5a86'],
  'examples/shop/catalog/migrations/0001_initial.py': ['c6095fab49c071d1', 'f948204e346f8742'],
  'examples/shop/catalog/migrations/__init__.py': ['f4f239318b84c15a', '3a7abf59f9e7d74e'],
  'examples/shop/catalog/models.py': ['85155860747a8440', 'a71b6e54c4bd00ba'],
  'examples/shop/catalog/pricing.py': ['a90b80a53ade9389', '79f8b8c018336ea5'],
  'examples/shop/catalog/serializers.py': ['bd25837cd4984075', '1a3fb870dd51f013'],
  'examples/shop/catalog/services.py': ['c4141418414af313', 'c2cfe4a477eaace7'],
  'examples/shop/catalog/signals.py': ['e111a42a21f3fbcf', '77d0ba83775fe8bb'],
  'examples/shop/catalog/urls.py': ['f2e653117d45c0f2', 'b9573c234d9057a5'],
  'examples/shop/catalog/views.py': ['2cbe40e9215e8fd7', '8d337826d395c35d'],
  'examples/shop/manage.py': ['e729d5b93453fb21', 'a53dfcd6a74aab58'],
  'examples/shop/orders/__init__.py': ['fd516925a2974564', 'a85e3cbc7d5138df'],
  'examples/shop/orders/admin.py': ['00ac75effb7b1f26', 'cc6e97c706e86f99'],
  'examples/shop/orders/api.py': ['75bebefc312df545', 'bd293d9619184b5a'],
  'examples/shop/orders/apps.py': ['c159ba463a7a4b3f', '188734f9051069c1'],
  'examples/shop/orders/cache_keys.py': ['48f61a5ba44fd797', '4a809c6a7cb6ae27'],
  'examples/shop/orders/migrations/0001_initial.py': ['92b8baebf40a17cb', '8528e8d6480b9ce6'],
  'examples/shop/orders/migrations/__init__.py': ['51f485da83d61f40', 'a6828b771c0ddfad'],
  'examples/shop/orders/models.py': ['daa1c0f5f897adb5', 'efedc2f0faf980e9'],
  'examples/shop/orders/reports.py': ['ac9ab1826843e8d6', '89203bda115e8609'],
  'examples/shop/orders/serializers.py': ['e73c943829c14fa1', '320e249047453c52'],
  'examples/shop/orders/services.py': ['926b5fe01766cd3e', '98440c678d9be40c'],
  'examples/shop/orders/signals.py': ['7ce79f0db917f452', '23c3f97ed4576aaa'],
  'examples/shop/orders/urls.py': ['363bbf76aa8d5d62', '5516f96cecffd04d'],
  'examples/shop/orders/views.py': ['1cd24a13a104ae6e', '7d71ac6032651587'],
  'examples/shop/reviews/__init__.py': ['b1e074bbee06d43e', 'cd0be6714b54de01'],
  'examples/shop/reviews/admin.py': ['5373ea35a5e27342', '95ca064949d9e52e'],
  'examples/shop/reviews/api.py': ['aacd82f75e6663e8', 'd0eb908a353fc7f3'],
  'examples/shop/reviews/apps.py': ['d37a5c4d1c25ea92', 'd8dea4db4d296c6b'],
  'examples/shop/reviews/migrations/0001_initial.py': ['7a3406bffca8a1ac', 'f07a2d565e50a300'],
  'examples/shop/reviews/migrations/__init__.py': ['66a91421619d4548', 'af056e0413634f92'],
  'examples/shop/reviews/models.py': ['cb28a02b9e23e78b', '266391b14ee8adc9'],
  'examples/shop/reviews/serializers.py': ['9b47e8ebfc3a85e7', 'e9790f34a1b57321'],
  'examples/shop/reviews/services.py': ['03f602e0ee025f30', '703b7189185a57c7'],
  'examples/shop/reviews/signals.py': ['5d4c59710677dab8', 'efe52ba49c796fb4'],
  'examples/shop/shop/__init__.py': ['df0bdbd82baee8d4', '42988f5de04c6518'],
  'examples/shop/shop/api_urls.py': ['a1f888ebf6042995', 'f3295ca40c53885b'],
  'examples/shop/shop/asgi.py': ['97fb29d53aa9421d', 'b556e7a60dc406a1'],
  'examples/shop/shop/settings.py': ['55837643ea2a743e', '4fdbe5aa082a18e6'],
  'examples/shop/shop/urls.py': ['abe3c84b9967e5ac', '38e5b5c457eb0de8'],
  'examples/shop/shop/utils/__init__.py': ['513eb5cd810b98df', '968ecc32d588ac15'],
  'examples/shop/shop/utils/caching.py': ['7364028117db15d0', 'faec0169e48f0606'],
  'examples/shop/shop/utils/text.py': ['c7291268cd48b9d3', 'd4ca24afa05ff008'],
  'examples/shop/shop/wsgi.py': ['11ed89a449be1366', '08dc270226c6ed9e'],
  'test/fixtures/djc101_delete_uncovered': ['071b39d7a3aef029', 'f4088eca0d831525'],
  'test/fixtures/djc101_never_expires': ['e3e86bd518d91d89', '11f1d8d412dc37b1'],
  'test/fixtures/djc101_related_model_uncovered': ['c6d5482c21d146bd', '3fd9e163343e9874'],
  'test/fixtures/djc102_other_model_covered': ['14c23b83254399d0', '078b0dbb5b92cb6a'],
  'test/fixtures/djc102_shared_table': ['24469cd707f5777c', '4ee39ee18275109d'],
  'test/fixtures/djc102_shared_table_fixed_timeout': ['d98f5f289420b068', 'f5c36931690a379a'],
  'test/fixtures/djc103_bulk_writes': ['83f8487e00ec2de9', '118d9089068a5c99'],
  'test/fixtures/djc103_raw_sql': ['f9f5a290dee3d22e', 'de72eff7b4201085'],
  'test/fixtures/djc103_reverse_fk_add': ['0292fbb64892d914', '3f2bd1981fe4e23c'],
  'test/fixtures/djc103_through_model_write': ['6f47671385518095', '73b95eacc14c6f08'],
  'test/fixtures/djc104_alias_mismatch': ['08bf0183aa645aa8', 'bb681f8800c9f99d'],
  'test/fixtures/djc104_key_typo': ['6e726be046e14e50', '212174293ee84f09'],
  'test/fixtures/djc104_version_constant': ['3033e0ddac896c4c', '1665695dcef1fb72'],
  'test/fixtures/djc104_version_mismatch': ['b3b64589bd445ebc', '590ed3bd36f9cbf8'],
  'test/fixtures/djc105_atomic_requests': ['7142ae36578c70af', '06e33ae3768105ce'],
  'test/fixtures/djc105_delete_in_transaction': ['c4b5d3ba5640c9d5', 'fca4c66f149a556d'],
  'test/fixtures/djc106_fixed_timeout': ['8ff7b26d73191e98', '86f463594350cf48'],
  'test/fixtures/djc107_sequential_deletes': ['b1c865636c166abc', '15f74f1aa1f18c42'],
  'test/fixtures/guard_functools': ['1de855517d514b28', 'c2cb28a521f12e16'],
  'test/fixtures/guard_hash_keyed': ['17745c8714c6feb4', '6fd3e1c0e8a39ab2'],
  'test/fixtures/guard_local_cache_name': ['26d9356aca4b0f86', '2b96f02eeeaec630'],
  'test/fixtures/guard_locks': ['8b311c61393e1073', '4fa2afbd248acab9'],
  'test/fixtures/guard_lookup_values': ['dbd3748cbad3f3f8', 'f3ec073ff342d54d'],
  'test/fixtures/guard_other_library_cache': ['8787ebf27b4dd4e0', '18fe567361b89826'],
  'test/fixtures/guard_real_world': ['cd396952cfce9233', 'a00bd34064063cca'],
  'test/fixtures/guard_throttle_counters': ['3c8c05b59fca2960', '1af9cf6274a9aa96'],
  'test/fixtures/ok_cbv_template_fragment': ['7a35b213bfb37c67', '383d08b162c40991'],
  'test/fixtures/ok_clear_in_receiver': ['7136db11e606772e', '8953bad3d33a218b'],
  'test/fixtures/ok_column_disjoint_write': ['730d793464420222', 'c84b9778e674dfff'],
  'test/fixtures/ok_connect_in_ready': ['306a8cbcb444679f', 'ea34ddcff5626f1f'],
  'test/fixtures/ok_custom_signal': ['7d00a39f1e70b769', '3589dd4c4c155c65'],
  'test/fixtures/ok_delete_many': ['5be1cbdb61114555', '0503b97db62f308e'],
  'test/fixtures/ok_key_builder': ['7620500a63145d8a', '9dc46b3dd8f4b018'],
  'test/fixtures/ok_m2m_changed': ['bfe47fadeb777190', '6db1d83bb7927a74'],
  'test/fixtures/ok_on_commit': ['447f3ee41af1e6ac', 'f8e11b4c5708428b'],
  'test/fixtures/ok_on_commit_in_atomic': ['befc7d5d28f33b4e', '627afe9a433d123e'],
  'test/fixtures/ok_receiver_any_sender': ['6fb3eb4bb0a12d62', '3ade4657f3591be7'],
  'test/fixtures/ok_receiver_decorator': ['18a025a516ab0679', '5169f069a1442a67'],
  'test/fixtures/ok_receiver_sender_string': ['f59e1c0b6d177b16', 'e516db6219840c3d'],
  'test/fixtures/ok_save_delete_override': ['88b6dc68c78814cf', '72d4b97204d592ed'],
  'test/fixtures/ok_template_fragment_key': ['12601c8f3ef1f722', '9ec69b881ded85d9'],
  'test/fixtures/ok_transitive_helper': ['234459f295389971', 'b9809a7ddb90fe04'],
  'test/fixtures/ok_version_bump': ['41e10701e4f7072d', 'a4e8054a5ae750f9'],
  'test/fixtures/ok_version_bump_get_or_set': ['bafc1011c6fb7c51', '0cc2897798de2070'],
  'test/fixtures/ok_write_site_delete': ['f036a761456e0737', '616f5e083869802b'],
  'test/fixtures/reads_alias_global': ['b8d65f651f944ba0', '9f46da7773782066'],
  'test/fixtures/reads_async_cache_api': ['377b9eb39b575723', '60a15df70e9a0684'],
  'test/fixtures/reads_fk_target': ['c17e8fce0dcefb5c', 'a2f394ddc0d33d13'],
  'test/fixtures/reads_get_or_set': ['e64993e9a4d87ae9', 'c15d4e33565eb4b6'],
  'test/fixtures/reads_get_user_model': ['7d7ab147318b5718', 'a2d69a87addbbde5'],
  'test/fixtures/reads_memoize_decorator': ['8e0d096929c9fbbb', '22688aa570092a20'],
  'test/fixtures/reads_model_method_self': ['5adb38bfe1f73738', '9dddf4938c84951c'],
  'test/fixtures/reads_project_wrapper': ['3c88a6ee3baaaa0c', 'fe981fc1d211b00b'],
  'test/fixtures/reads_queryset_shapes': ['4d6282072a4c17ba', '0eae681b33e9c1a3'],
  'test/fixtures/reads_related_reviews': ['abcab6f009e3bac9', '74088b762077ddc6'],
  'test/fixtures/reads_subquery_exists': ['d677dff4d4117a92', '5c581fb83cf6ef18'],
  'test/fixtures/reads_walrus': ['ea946d6ce62d0278', 'b29226734e104b7e'],
  'test/fixtures/robust_binary_junk': ['a0ae66e693887e44', '2417a70397677bc3'],
  'test/fixtures/robust_empty_files': ['84927516327415cd', '008eb3d249adff49'],
  'test/fixtures/robust_non_utf8': ['6ffb485b77caf986', '2050f6bbc31772b4'],
  'test/fixtures/robust_syntax_errors': ['748482541a6a748e', '78ea5fda056f6276'],
  'test/fixtures/suppression_comments': ['892350a3d2491733', '2e3ed588c047e592'],
  'test/fixtures/unwritten_model_info': ['7f907a7457d18da8', '669c94223e36f743'],
  'test/fixtures/views_cbv_template_fragment': ['f9b0594627ec93f5', '925f6322c16e6fdb'],
  'test/fixtures/views_drf_nested_serializer': ['d9c9887df2fe3af8', 'd9e69bc6bc5e7102'],
  'test/fixtures/views_template_cache_page': ['a6a7bfd2b71d6d50', '729b5c80bc920b3a'],
  'test/fixtures/views_urls_cache_page': ['688e706e69ad46eb', '8ad48050541da360'],
  'test/fixtures/writes_forms_and_serializers': ['5a063118c564749e', 'f4e322132a8192de'],
};

interface Unit { name: string; files: [string, Uint8Array][] }

/** Every examples/ Python file, and every fixture directory's Python files, with paths relative to the project root. */
function units(): { root: string; unit: Unit }[] {
  const out: { root: string; unit: Unit }[] = [];
  const examples = path.join(repo, 'examples');
  for (const [rel, bytes] of readTree(examples)) {
    if (!rel.endsWith('.py')) continue;
    const [project, ...rest] = rel.split('/');
    out.push({ root: path.join(examples, project), unit: { name: `examples/${rel}`, files: [[rest.join('/'), bytes]] } });
  }
  const fixtures = path.join(repo, 'test', 'fixtures');
  const byDir = new Map<string, [string, Uint8Array][]>();
  for (const [rel, bytes] of readTree(fixtures)) {
    if (!rel.endsWith('.py')) continue;
    const [dir, ...rest] = rel.split('/');
    byDir.set(dir, [...byDir.get(dir) ?? [], [rest.join('/'), bytes]]);
  }
  for (const [dir, files] of byDir) out.push({ root: path.join(fixtures, dir), unit: { name: `test/fixtures/${dir}`, files } });
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
    const facts = unit.files.map(([rel, bytes]) => extractFacts(parser, rel, bytes, moduleNameFor(rel, (d) => packageDirs.has(d))));
    const factsDigest = digest(facts.map((f) => JSON.stringify(f)));
    recorded.push(`  '${unit.name}': ['${source}', '${factsDigest}'],`);
    const want = RECORDED[unit.name];
    if (!want || want[0] !== source) continue;
    compared++;
    assert.equal(factsDigest, want[1], `facts of ${unit.name} changed`);
  }
  if (process.env.DJCACHE_RECORD_IR) console.log(recorded.join('\n'));
  assert.ok(compared >= Object.keys(RECORDED).length / 2, `only ${compared} of ${Object.keys(RECORDED).length} recorded units still have their sources`);
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
    `a = 'x{y}'`, `a = "it's"`, `a = ''`, `a = """q"z"""`, `a = '''a'b'''`, `a = rb'r'`, `a = U"u"`,
    String.raw`a = 'tab\tq\'s'`, String.raw`a = r'\d+'`, `a = f'k:{pk}'`, `a = F"{x}"`, `a = 'p' "q"`,
  ];
  const f = await factsOf(lines.join('\n') + '\n');
  const values = f.body.map((s) => {
    const e = firstExpr(s);
    return e.t === 'str' ? e.v : e.t === 'fstr' ? e.parts.map((p) => (typeof p === 'string' ? p : `<${p.t}>`)).join('') : e.t;
  });
  assert.deepEqual(values, ['x{y}', "it's", '', 'q"z', "a'b", 'r', 'u', "tab\tq's", String.raw`\d+`, 'k:<name>', '<name>', 'pq']);
});

test('a big literal table of constants becomes unknown; one item that names anything keeps it all', async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `    ('K${i}', "name ${i}", -${i}, 1.5, None),  # row\n`).join('');
  const table = await factsOf(`CODES = [\n${rows}]\nLOOKUP = {\n${rows.replace(/\(/g, '1: (')}}\n`);
  assert.deepEqual(table.body.map((s) => firstExpr(s).t), ['unknown', 'unknown']);
  for (const odd of [`    (cache.get('k'), 1),\n`, `    (f'{pk}', 1),\n`, `    (pk, 1),\n`]) {
    const code = await factsOf(`ROUTES = [\n${rows}${odd}]\n`);
    const list = firstExpr(code.body[0]);
    assert.ok(list.t === 'seq' && list.items.length === 2001, `${odd.trim()}: ${list.t}`);
  }
  const small = await factsOf(`APPS = ['a', 'b']\n`);
  assert.equal(firstExpr(small.body[0]).t, 'seq');
});

test('syntax errors keep the facts of the parts that parse', async () => {
  const f = await factsOf('from django.core.cache import cache\n\ndef broken(:\n    pass\n\ndef fine():\n    return cache.get("k")\n');
  assert.equal(f.hasErrors, true);
  assert.deepEqual(f.imports.map((i) => `${i.module}.${i.name}`), ['django.core.cache.cache']);
  assert.ok(f.functions.some((fn) => fn.name === 'fine'), JSON.stringify(f.functions.map((fn) => fn.name)));
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
  assert.deepEqual(got, paths.map((p) => (p === 'gone.py' ? undefined : p)));
  assert.ok(most > 1 && most <= 9, `${most} reads in flight`);
});
