/**
 * The injection grammars in syntaxes/, as package.json contributes them, tokenised by
 * vscode-textmate and vscode-oniguruma (what VS Code tokenises with) on top of VS Code's own Python
 * grammar (MagicPython) and HTML grammars, as the tm-grammars package ships them. The Django
 * template grammar comes from the Django extension, which no npm package carries: a small stand-in
 * with the same scope name and its own {% %} rule is test/grammar/django-html.tmLanguage.json.
 *
 * The scopes djcache adds, which a theme colours:
 *   support.function.tagged.djcache       `tagged` in tagged(...)
 *   keyword.other.depends-on.djcache      `depends_on` of cache_page(...) / memoize(...), however qualified
 *   entity.name.type.model.djcache        a declared model: Product, models.Product, "shop.Product",
 *                                          each label of a template tag's depends_on="..."
 *   constant.language.auto.djcache        "auto" / djcache.AUTO as a dependency
 *   keyword.control.cache.djcache         {% cache %}, {% tagged_cache %} and their end tags
 *   entity.other.attribute-name.djcache   depends_on= / using= in those tags
 *   keyword.other.noqa.djcache, keyword.other.directive.djcache, constant.other.rule-code.djcache:
 *                                          # noqa: DJC101, # djcache: ignore[DJC101], {# noqa: DJC101 #}
 * Everything else keeps the host grammar's scopes: other calls' strings, a depends_on keyword of any
 * other call (only djcache's decorators take one), def signatures, strings and comments.
 * Known limits of a grammar that cannot resolve names: ALL_CAPS names are taken for constants, so a
 * model class named FAQ is not marked; `memoize (` with a space before the parenthesis and imports
 * under another name (`from djcache import tagged as t`) are not recognised.
 */
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const ROOT = path.join(__dirname, '..', '..');

interface GrammarContribution {
  scopeName: string;
  path: string;
  injectTo?: string[];
}

const contributed: GrammarContribution[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  .contributes.grammars;

const hostGrammars: Record<string, string> = {
  'source.python': require.resolve('tm-grammars/grammars/python.json'),
  'text.html.basic': require.resolve('tm-grammars/grammars/html.json'),
  'text.html.derivative': require.resolve('tm-grammars/grammars/html-derivative.json'),
  'text.html.django': path.join(ROOT, 'test', 'grammar', 'django-html.tmLanguage.json'),
};

let registry: textmate.Registry;

before(async () => {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const files = new Map<string, string>(Object.entries(hostGrammars));
  for (const g of contributed) files.set(g.scopeName, path.join(ROOT, g.path));
  registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      const file = files.get(scopeName);
      // source.css, source.js, ... embedded in HTML: not needed here
      return file ? textmate.parseRawGrammar(fs.readFileSync(file, 'utf8'), file) : null;
    },
    // As VS Code does: a grammar injected into `text.html` applies to `text.html.basic` too.
    getInjections: (scopeName) => {
      const parts = scopeName.split('.');
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('.'));
      return contributed.filter((g) => g.injectTo?.some((t) => prefixes.includes(t))).map((g) => g.scopeName);
    },
  });
});

interface Token {
  line: number;
  start: number;
  text: string;
  /** Without the root scope. */
  scopes: string[];
}

class Tokens {
  constructor(
    readonly source: string,
    readonly tokens: Token[],
  ) {}

  /** The token covering the first character of the `nth` occurrence of `needle` (1-based). */
  at(needle: string, nth = 1): Token {
    let offset = -1;
    for (let i = 0; i < nth; i++) {
      offset = this.source.indexOf(needle, offset + 1);
      assert.ok(offset >= 0, `${JSON.stringify(needle)} (#${nth}) not in the source`);
    }
    const before = this.source.slice(0, offset).split('\n');
    const line = before.length - 1;
    const col = before[line].length;
    const tok = this.tokens.find((t) => t.line === line && t.start <= col && col < t.start + t.text.length);
    assert.ok(tok, `no token at ${line + 1}:${col + 1}`);
    return tok;
  }

  /** The scopes of the token that is exactly `needle`. */
  scopes(needle: string, nth = 1): string[] {
    const tok = this.at(needle, nth);
    assert.equal(tok.text, needle, `${JSON.stringify(needle)} is not one token: ${JSON.stringify(tok)}`);
    return tok.scopes;
  }

  /** The innermost scope of the token that is exactly `needle`. */
  scope(needle: string, nth = 1): string | undefined {
    return this.scopes(needle, nth).at(-1);
  }

  djcacheScopes(): Token[] {
    return this.tokens.filter((t) => t.scopes.some((s) => s.endsWith('.djcache')));
  }
}

async function tokenize(rootScope: string, source: string): Promise<Tokens> {
  const grammar = await registry.loadGrammar(rootScope);
  assert.ok(grammar, `no grammar for ${rootScope}`);
  let stack = textmate.INITIAL;
  const tokens: Token[] = [];
  source.split('\n').forEach((text, line) => {
    const r = grammar.tokenizeLine(text, stack);
    stack = r.ruleStack;
    for (const t of r.tokens) {
      assert.equal(t.scopes[0], rootScope);
      tokens.push({ line, start: t.startIndex, text: text.slice(t.startIndex, t.endIndex), scopes: t.scopes.slice(1) });
    }
  });
  return new Tokens(source, tokens);
}

const py = (source: string) => tokenize('source.python', source);
const django = (source: string) => tokenize('text.html.django', source);

const MODEL = 'entity.name.type.model.djcache';
const AUTO = 'constant.language.auto.djcache';
const DEPENDS_ON = 'keyword.other.depends-on.djcache';
const STRING = 'string.quoted.single.python';

/** A line after the snippet: nothing of djcache's rules may still be open there. */
const AFTER = '\nafter = compute(1)';

function assertClosed(t: Tokens): void {
  assert.deepEqual(t.scopes('after'), []);
  assert.deepEqual(t.scopes('compute'), ['meta.function-call.python', 'meta.function-call.generic.python']);
}

describe('package.json grammars contribution', () => {
  test('every injection grammar exists, is named as contributed and injects into Python or templates', () => {
    assert.deepEqual(contributed.map((g) => g.scopeName).sort(), [
      'comment.djcache.python.injection',
      'source.djcache.python.injection',
      'text.djcache.template.injection',
    ]);
    for (const g of contributed) {
      const raw = JSON.parse(fs.readFileSync(path.join(ROOT, g.path), 'utf8'));
      assert.equal(raw.scopeName, g.scopeName, g.path);
      assert.ok(raw.injectionSelector, `${g.path} has no injectionSelector`);
      assert.ok(g.injectTo?.length, `${g.path} is injected nowhere`);
    }
  });

  test('.vscodeignore keeps syntaxes/*.json in the package', () => {
    const ignore = fs
      .readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    assert.ok(ignore.includes('!syntaxes/*.json'));
  });
});

describe('Python: tagged(...)', () => {
  test('model classes and "app.Model" labels, either quote, and keyword arguments left to Python', async () => {
    const t = await py(`h = tagged(Product, "shop.Category", 'shop.Tag', using="replica")${AFTER}`);
    assert.deepEqual(t.scopes('tagged'), ['meta.function-call.tagged.djcache', 'support.function.tagged.djcache']);
    assert.deepEqual(t.scopes('Product'), ['meta.function-call.tagged.djcache', MODEL]);
    assert.deepEqual(t.scopes('shop.Category'), ['meta.function-call.tagged.djcache', STRING, MODEL]);
    assert.deepEqual(t.scopes('"', 1), [
      'meta.function-call.tagged.djcache',
      STRING,
      'punctuation.definition.string.begin.python',
    ]);
    assert.deepEqual(t.scopes('shop.Tag'), ['meta.function-call.tagged.djcache', STRING, MODEL]);
    assert.equal(t.scope('using'), 'variable.parameter.function-call.python');
    assert.equal(t.scope('replica'), STRING);
    assert.equal(t.scope(')'), 'punctuation.definition.arguments.end.python');
    assertClosed(t);
  });

  test('qualified classes, "auto", djcache.AUTO, a list or a tuple of them, over several lines', async () => {
    const t = await py(
      [
        'a = djcache.tagged(models.Product, catalog.models.Category)',
        'b = tagged("auto")',
        'c = tagged(djcache.AUTO, Product)',
        'd = tagged([',
        '    Product,',
        '    "shop.Category",',
        '])',
        "e = tagged(('shop.Product', Tag)).get_or_set('products:all', load, timeout=300)",
      ].join('\n') + AFTER,
    );
    assert.equal(t.scope('tagged'), 'support.function.tagged.djcache');
    assert.equal(t.scope('models'), 'variable.other.object.python');
    assert.equal(t.scope('Product'), MODEL);
    assert.equal(t.scope('Category'), MODEL);
    assert.deepEqual(t.scopes('auto'), ['meta.function-call.tagged.djcache', STRING, AUTO]);
    assert.equal(t.scope('AUTO'), AUTO);
    assert.equal(t.scope('Product', 3), MODEL);
    assert.equal(t.scope('shop.Category'), MODEL);
    assert.equal(t.scope('['), 'punctuation.definition.list.begin.python');
    assert.equal(t.scope(']'), 'punctuation.definition.list.end.python');
    assert.equal(t.scope('shop.Product'), MODEL);
    assert.equal(t.scope('Tag'), MODEL);
    // the handle's methods are ordinary Python again
    assert.deepEqual(t.scopes('products:all'), [
      'meta.member.access.python',
      'meta.function-call.python',
      'meta.function-call.arguments.python',
      STRING,
    ]);
    assert.equal(t.scope('timeout'), 'variable.parameter.function-call.python');
    assertClosed(t);
  });

  test('what is not a model stays Python: constants, None, calls, attribute access, other strings', async () => {
    const t = await py(`h = tagged(*MODELS, Product.objects.first(), "products:all", using=None)${AFTER}`);
    assert.equal(t.scope('*'), 'keyword.operator.unpacking.arguments.python');
    assert.equal(t.scope('MODELS'), 'constant.other.caps.python');
    assert.ok(!t.scopes('Product').includes(MODEL));
    assert.equal(t.scope('first'), 'meta.function-call.generic.python');
    assert.equal(t.scope('products:all'), STRING);
    assert.equal(t.scope('None'), 'constant.language.python');
    assertClosed(t);
  });
});

describe('Python: depends_on of cache_page / memoize', () => {
  test('a list on @djcache.cache_page: the decorator keeps its colours, the models are marked', async () => {
    const t = await py(
      `@djcache.cache_page(60, depends_on=[Product, 'shop.Category'], key_prefix="nav")\ndef view(request):\n    pass${AFTER}`,
    );
    assert.deepEqual(t.scopes('cache_page'), [
      'meta.function.decorator.python',
      'entity.name.function.decorator.python',
    ]);
    assert.deepEqual(t.scopes('depends_on'), [
      'meta.function.decorator.python',
      'meta.function-call.arguments.python',
      'meta.depends-on.djcache',
      DEPENDS_ON,
    ]);
    assert.equal(t.scope('['), 'punctuation.definition.list.begin.python');
    assert.deepEqual(t.scopes('Product'), [
      'meta.function.decorator.python',
      'meta.function-call.arguments.python',
      'meta.depends-on.djcache',
      MODEL,
    ]);
    assert.deepEqual(t.scopes('shop.Category'), [
      'meta.function.decorator.python',
      'meta.function-call.arguments.python',
      'meta.depends-on.djcache',
      STRING,
      MODEL,
    ]);
    assert.equal(t.scope('key_prefix'), 'variable.parameter.function-call.python');
    assert.equal(t.scope('nav'), STRING);
    assert.deepEqual(t.scopes(')'), ['meta.function.decorator.python', 'punctuation.definition.arguments.end.python']);
    assert.deepEqual(t.scopes('def'), ['meta.function.python', 'storage.type.function.python']);
    assert.deepEqual(t.scopes('view'), ['meta.function.python', 'entity.name.function.python']);
    assertClosed(t);
  });

  test('a tuple over several lines on @memoize, with a trailing comma and keyword arguments after it', async () => {
    const t = await py(
      [
        '@memoize(',
        '    300,',
        '    depends_on=(',
        '        models.Product,',
        '        "shop.Category",',
        '    ),',
        '    lock=True,',
        ')',
        'def prices(): ...',
      ].join('\n') + AFTER,
    );
    assert.equal(t.scope('depends_on'), DEPENDS_ON);
    assert.equal(t.scope('(', 2), 'punctuation.parenthesis.begin.python');
    assert.equal(t.scope('Product'), MODEL);
    assert.equal(t.scope('shop.Category'), MODEL);
    assert.equal(t.scope(')', 1), 'punctuation.parenthesis.end.python');
    assert.equal(t.scope('lock'), 'variable.parameter.function-call.python');
    assert.equal(t.scope('True'), 'constant.language.python');
    assert.deepEqual(t.scopes(')', 2), [
      'meta.function.decorator.python',
      'punctuation.definition.arguments.end.python',
    ]);
    assert.equal(t.scope('prices'), 'entity.name.function.python');
    assertClosed(t);
  });

  test('one string: "auto" or one label, either quote; djcache.AUTO; a call and a chained call', async () => {
    const t = await py(
      [
        'a = djcache.memoize(300, depends_on="auto")(load)',
        "b = cache_page(60, depends_on='shop.Product')",
        'c = memoize(depends_on=djcache.AUTO)',
        'd = memoize(depends_on=MODELS)',
      ].join('\n') + AFTER,
    );
    assert.deepEqual(t.scopes('depends_on'), [
      'meta.member.access.python',
      'meta.function-call.python',
      'meta.function-call.arguments.python',
      DEPENDS_ON,
    ]);
    assert.deepEqual(t.scopes('auto'), [
      'meta.member.access.python',
      'meta.function-call.python',
      'meta.function-call.arguments.python',
      STRING,
      AUTO,
    ]);
    assert.equal(t.scope('load'), 'meta.function-call.arguments.python');
    assert.equal(t.scope('shop.Product'), MODEL);
    assert.equal(t.scope('depends_on', 3), DEPENDS_ON);
    assert.equal(t.scope('AUTO'), AUTO);
    assert.equal(t.scope('depends_on', 4), DEPENDS_ON);
    assert.equal(t.scope('MODELS'), 'constant.other.caps.python');
    assertClosed(t);
  });

  test('"a.B c.D" in Python is one (unknown) label to the runtime: left a plain string', async () => {
    const t = await py(`@cache_page(60, depends_on="shop.Product shop.Category")\ndef v(r): ...${AFTER}`);
    assert.equal(t.scope('depends_on'), DEPENDS_ON);
    assert.equal(t.scope('shop.Product shop.Category'), STRING);
  });
});

describe('Python: what is not a declaration', () => {
  test('an ordinary call with a label-like string', async () => {
    const t = await py(`cache.get("shop.Product")\nProduct.objects.get(pk=1)${AFTER}`);
    assert.deepEqual(t.djcacheScopes(), []);
    assert.equal(t.scope('shop.Product'), STRING);
  });

  test('depends_on of any other call is an ordinary keyword argument', async () => {
    const t = await py(`Job(depends_on=["ci.Build"], after=Product)${AFTER}`);
    assert.deepEqual(t.djcacheScopes(), []);
    assert.equal(t.scope('depends_on'), 'variable.parameter.function-call.python');
    assert.equal(t.scope('ci.Build'), STRING);
  });

  test("djcache's own definitions: def tagged(...), def memoize(..., depends_on=())", async () => {
    const t = await py(
      `def tagged(*deps, using=None):\n    return Tagged(*deps, using=using)\ndef memoize(timeout=_DEFAULT, depends_on=(), *, lock=None): ...${AFTER}`,
    );
    assert.deepEqual(t.djcacheScopes(), []);
    assert.equal(t.scope('tagged'), 'entity.name.function.python');
    assert.equal(t.scope('depends_on'), 'variable.parameter.function.language.python');
  });

  test('strings and comments that mention a declaration', async () => {
    const t = await py(
      `doc = "tagged(Product) and depends_on=[Product]"\n# tagged(Product), memoize(depends_on=[Product])${AFTER}`,
    );
    assert.deepEqual(t.djcacheScopes(), []);
  });
});

describe('Python: suppression comments', () => {
  test('# noqa naming a DJC code and # djcache: ignore[...]; a noqa for other tools is left alone', async () => {
    const t = await py('x = 1  # noqa: DJC101\ny = 2  # djcache: ignore[DJC101, DJC102]\nz = 3  # noqa: E501');
    assert.equal(t.scope('noqa'), 'keyword.other.noqa.djcache');
    assert.equal(t.scope('DJC101'), 'constant.other.rule-code.djcache');
    assert.equal(t.scope('djcache'), 'keyword.other.directive.djcache');
    assert.equal(t.scope('ignore'), 'keyword.other.ignore.djcache');
    assert.equal(t.scope('DJC102'), 'constant.other.rule-code.djcache');
    assert.equal(t.at('E501').scopes.at(-1), 'comment.line.number-sign.python');
    assert.ok(!t.at('noqa', 2).scopes.some((s) => s.endsWith('.djcache')));
  });
});

describe('Templates: {% tagged_cache %}', () => {
  const TAG = 'meta.embedded.cache-tag.djcache';
  const DEP = 'meta.attribute.depends-on.djcache';

  test('the tag, its space-separated depends_on labels, the end tag', async () => {
    const t = await django(
      [
        '{% load djcache %}',
        '<ul class="nav">{% tagged_cache 500 "sidebar" request.user.pk depends_on="shop.Product shop.Category" %}',
        '{% for c in cats %}<li>{{ c.name }}</li>{% endfor %}',
        '{% endtagged_cache %}</ul>',
      ].join('\n'),
    );
    assert.deepEqual(t.scopes('tagged_cache'), [TAG, 'keyword.control.cache.djcache']);
    assert.deepEqual(t.scopes('{%', 2), [TAG, 'punctuation.section.embedded.begin.django']);
    assert.deepEqual(t.scopes('500'), [TAG, 'constant.numeric.djcache']);
    assert.deepEqual(t.scopes('sidebar'), [TAG, 'string.quoted.djcache']);
    assert.deepEqual(t.scopes('request.user.pk'), [TAG, 'variable.other.djcache']);
    assert.deepEqual(t.scopes('depends_on'), [TAG, DEP, 'entity.other.attribute-name.djcache']);
    assert.deepEqual(t.scopes('shop.Product'), [TAG, DEP, 'string.quoted.djcache', MODEL]);
    assert.deepEqual(t.scopes('shop.Category'), [TAG, DEP, 'string.quoted.djcache', MODEL]);
    assert.deepEqual(t.scopes('%}', 2), [TAG, 'punctuation.section.embedded.end.django']);
    assert.deepEqual(t.scopes('endtagged_cache'), ['keyword.control.cache.djcache']);
    // other tags keep the template grammar's scopes
    assert.deepEqual(t.scopes('load'), ['storage.type.templatetag.django', 'keyword.control.tag-name.django']);
    assert.deepEqual(t.scopes('for'), ['storage.type.templatetag.django', 'keyword.control.tag-name.django']);
    assert.equal(t.scope('li'), 'entity.name.tag.html');
  });

  test('depends_on=\'auto\' in single quotes, using=; the timeout "auto" and a dotted fragment name are no dependencies', async () => {
    const t = await django(
      `{% tagged_cache "auto" "nav.v2" depends_on='auto' using="replica" %}x{% endtagged_cache %}`,
    );
    assert.deepEqual(t.scopes('auto', 1), [TAG, 'string.quoted.djcache']);
    assert.deepEqual(t.scopes('nav.v2'), [TAG, 'string.quoted.djcache']);
    assert.deepEqual(t.scopes('auto', 2), [TAG, DEP, 'string.quoted.djcache', AUTO]);
    assert.deepEqual(t.scopes('using'), [TAG, 'entity.other.attribute-name.djcache']);
    assert.deepEqual(t.scopes('replica'), [TAG, 'string.quoted.djcache']);
    assert.equal(t.scope('endtagged_cache'), 'keyword.control.cache.djcache');
  });

  test("lower-case model names are labels too; a word that is no label isn't marked", async () => {
    const t = await django('{% tagged_cache 60 "x" depends_on="shop.product oops" %}{% endtagged_cache %}');
    assert.equal(t.scope('shop.product'), MODEL);
    assert.equal(t.scope(' oops'), 'string.quoted.djcache');
  });

  test("Django's {% cache %} and {% endcache %}", async () => {
    const t = await django('{% cache 500 sidebar request.user.username %}x{% endcache %}');
    assert.deepEqual(t.scopes('cache'), [TAG, 'keyword.control.cache.djcache']);
    assert.equal(t.scope('sidebar'), 'variable.other.djcache');
    assert.equal(t.scope('endcache'), 'keyword.control.cache.djcache');
  });

  test('not inside <!-- --> or {% comment %}; a tag left open ends with its line', async () => {
    const t = await django(
      [
        '<!-- {% tagged_cache 5 "a" depends_on="shop.Product" %} -->',
        '{% comment %}{% tagged_cache 5 "b" depends_on="shop.Product" %}{% endcomment %}',
        '{% tagged_cache 5 "c"',
        '<p class="after">text</p>',
      ].join('\n'),
    );
    assert.deepEqual([...new Set(t.djcacheScopes().map((x) => x.line))], [2]);
    assert.equal(t.scope('tagged_cache', 3), 'keyword.control.cache.djcache');
    assert.deepEqual(t.at('<p').scopes, ['meta.tag.structure.p.start.html', 'punctuation.definition.tag.begin.html']);
    assert.deepEqual(t.scopes('text'), []);
  });

  test('{# noqa: DJC101 #} and {# djcache: ignore[DJC101] #}', async () => {
    const t = await django('{# noqa: DJC101 #}\n{# djcache: ignore[DJC102] #}\n{# just a comment #}');
    assert.equal(t.scope('noqa'), 'keyword.other.directive.djcache');
    assert.equal(t.scope('DJC101'), 'constant.other.rule-code.djcache');
    assert.equal(t.scope('DJC102'), 'constant.other.rule-code.djcache');
    assert.equal(t.at('just').scopes.at(-1), 'comment.line.number-sign.django');
  });

  test('the injection reaches every host named in injectTo', async () => {
    const hosts = contributed.find((g) => g.scopeName === 'text.djcache.template.injection')?.injectTo ?? [];
    assert.ok(hosts.includes('text.html.django'));
    for (const host of hosts.filter((h) => h in hostGrammars)) {
      const t = await tokenize(
        host,
        '<div>{% tagged_cache 5 "x" depends_on="shop.Product" %}{% endtagged_cache %}</div>',
      );
      assert.equal(t.scope('tagged_cache'), 'keyword.control.cache.djcache', host);
      assert.equal(t.scope('shop.Product'), MODEL, host);
    }
  });

  test('plain .html files (text.html.basic), where templates often live without a Django extension', async () => {
    assert.ok(
      contributed.find((g) => g.scopeName === 'text.djcache.template.injection')?.injectTo?.includes('text.html.basic'),
    );
    const t = await tokenize(
      'text.html.basic',
      '{% tagged_cache 5 "x" depends_on="shop.Product" %}{% endtagged_cache %}',
    );
    assert.equal(t.scope('shop.Product'), MODEL);
  });
});
