import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { extractTemplateFacts } from '../server/src/facts/extract';
import { MAX_TEMPLATE_NESTING } from '../server/src/syntax/template';
import type { TemplateNode } from '../server/src/syntax/ir';

const facts = (text: string) => extractTemplateFacts('shop/templates/x.html', text, 'h1');

test('header facts: extends, loads, lines, path and hash', () => {
  const f = facts('{% extends "base.html" %}\n{% load cache i18n %}\n{% load intcomma from humanize %}\n');
  assert.equal(f.kind, 'template');
  assert.equal(f.path, 'shop/templates/x.html');
  assert.equal(f.hash, 'h1');
  assert.equal(f.lines, 3);
  assert.equal(f.extends, 'base.html');
  assert.deepEqual(f.loads, ['cache', 'i18n', 'humanize']);
  assert.deepEqual(f.nodes, []);
});

test('variables drop filters and keep variable filter arguments', () => {
  const f = facts(
    '<p>{{ product.category.name }}</p>\n  {{ a.b|default:"x|y"|date:fmt.short }}{{ "lit" }}{{ 5 }}{{ None }}',
  );
  assert.deepEqual(f.nodes, [
    { t: 'var', path: 'product.category.name', line: 0, col: 6 },
    { t: 'var', path: 'a.b', line: 1, col: 5, filtered: true },
    { t: 'var', path: 'fmt.short', line: 1, col: 28 },
  ]);
});

test('columns count UTF-16 code units', () => {
  const f = facts('😀é {{ x.y }}');
  assert.deepEqual(f.nodes, [{ t: 'var', path: 'x.y', line: 0, col: 7 }]);
});

test('cache fragment with vary and using, body nested', () => {
  const f = facts(
    [
      '{% load cache %}',
      '{% cache 500 sidebar request.user.pk using="fragments" %}',
      '  {% for p in products.all %}{{ p.name }}{% endfor %}',
      '{% endcache %}',
    ].join('\n'),
  );
  assert.deepEqual(f.nodes, [
    {
      t: 'cache',
      timeout: '500',
      name: 'sidebar',
      vary: ['request.user.pk'],
      using: 'fragments',
      line: 1,
      col: 0,
      endLine: 3,
      body: [
        {
          t: 'for',
          target: ['p'],
          iter: 'products.all',
          line: 2,
          col: 2,
          body: [{ t: 'var', path: 'p.name', line: 2, col: 32 }],
        },
      ],
    },
  ]);
});

test('for with tuple target, reversed, filters and an empty branch in the enclosing scope', () => {
  const f = facts('{% for k, v in d.items|dictsort:"0" reversed %}{{ v.x }}{% empty %}{{ none.y }}{% endfor %}');
  assert.deepEqual(f.nodes, [
    {
      t: 'for',
      target: ['k', 'v'],
      iter: 'd.items',
      line: 0,
      col: 0,
      body: [{ t: 'var', path: 'v.x', line: 0, col: 50 }],
    },
    { t: 'var', path: 'none.y', line: 0, col: 70 },
  ]);
});

test('with in both spellings', () => {
  const f = facts(
    '{% with total=order.items.count other="lit" %}{{ total }}{% endwith %}{% with b.c as a %}{% endwith %}',
  );
  assert.deepEqual(f.nodes, [
    {
      t: 'with',
      bindings: [
        ['total', 'order.items.count'],
        ['other', '"lit"'],
      ],
      line: 0,
      body: [{ t: 'var', path: 'total', line: 0, col: 49 }],
    },
    { t: 'with', bindings: [['a', 'b.c']], line: 0, body: [] },
  ]);
});

test('if arguments become vars, and if bodies stay in the enclosing list', () => {
  const f = facts('{% if a.b and not c|length > 0 %}{{ x }}{% elif d.e %}{% else %}{{ y }}{% endif %}');
  assert.deepEqual(f.nodes, [
    { t: 'var', path: 'a.b', line: 0, col: 6 },
    { t: 'var', path: 'c', line: 0, col: 18, filtered: true },
    { t: 'var', path: 'x', line: 0, col: 36 },
    { t: 'var', path: 'd.e', line: 0, col: 48 },
    { t: 'var', path: 'y', line: 0, col: 67 },
  ]);
});

test('include with a literal, a variable and with-arguments', () => {
  const f = facts('{% include "parts/card.html" with item=product.main only %}\n{% include tpl %}');
  assert.deepEqual(f.nodes, [
    { t: 'var', path: 'product.main', line: 0, col: 39 },
    { t: 'include', template: 'parts/card.html', line: 0, bindings: [['item', 'product.main']], only: true },
    { t: 'include', template: null, line: 1 },
  ]);
});

test('generic block tag keeps args, nested body and end line', () => {
  const f = facts(
    [
      '{% tagged_cache 500 "sidebar" depends_on="shop.Product shop.Category" %}',
      '  {{ cat.name }}',
      '{% endtagged_cache %}',
    ].join('\n'),
  );
  assert.deepEqual(f.nodes, [
    {
      t: 'tag',
      name: 'tagged_cache',
      args: ['500', '"sidebar"', 'depends_on="shop.Product shop.Category"'],
      line: 0,
      col: 0,
      endLine: 2,
      body: [{ t: 'var', path: 'cat.name', line: 1, col: 5 }],
    },
  ]);
});

test('block is a tag node whose name is not a variable; simple tags record their variable args', () => {
  const f = facts('{% block content %}{% url "shop:detail" p.slug as link %}{% csrf_token %}{% endblock %}');
  assert.deepEqual(f.nodes, [
    {
      t: 'tag',
      name: 'block',
      args: ['content'],
      line: 0,
      col: 0,
      endLine: 0,
      body: [
        {
          t: 'tag',
          name: 'url',
          args: ['"shop:detail"', 'p.slug', 'as', 'link'],
          argVars: [{ t: 'var', path: 'p.slug', line: 0, col: 40 }],
          line: 0,
          col: 19,
          endLine: null,
          body: [],
        },
        { t: 'tag', name: 'csrf_token', args: [], line: 0, col: 57, endLine: null, body: [] },
      ],
    },
  ]);
});

test('Jinja2: whitespace control, argument-less calls, call and filter arguments', () => {
  const f = facts(
    [
      '{%- for p in shop.products.all() if p.visible -%}',
      '{{- link(p.owner, title=p.name)|markdown(p.style) -}}',
      '{%- endfor %}{{ _("x") }}',
    ].join('\n'),
  );
  assert.deepEqual(f.nodes, [
    {
      t: 'for',
      target: ['p'],
      iter: 'shop.products.all',
      line: 0,
      col: 0,
      body: [
        { t: 'var', path: 'link', line: 1, col: 4, filtered: true },
        { t: 'var', path: 'p.owner', line: 1, col: 9, filtered: true },
        { t: 'var', path: 'p.name', line: 1, col: 24, filtered: true },
        { t: 'var', path: 'p.style', line: 1, col: 41 },
      ],
    },
  ]);
});

test('Jinja2: set binds until the enclosing block ends; with takes spaced and comma-separated bindings', () => {
  const f = facts(
    '{% if x %}{% set a = b.c %}{{ a }}{% endif %}{{ a }}{% with d = e, f = g.h() %}{{ d }}{% endwith %}',
  );
  assert.deepEqual(f.nodes, [
    { t: 'var', path: 'x', line: 0, col: 6 },
    { t: 'with', bindings: [['a', 'b.c']], line: 0, body: [{ t: 'var', path: 'a', line: 0, col: 30 }] },
    { t: 'var', path: 'a', line: 0, col: 48 },
    {
      t: 'with',
      bindings: [
        ['d', 'e'],
        ['f', 'g.h'],
      ],
      line: 0,
      body: [{ t: 'var', path: 'd', line: 0, col: 82 }],
    },
  ]);
});

test('suppressions from {# #} comments', () => {
  const f = facts(
    '{# noqa: DJC101, DJC102 #}\n{# djcache: ignore[DJC103] #}\n{# noqa #}\n{# djcache: ignore #}\n{# plain #}',
  );
  assert.deepEqual(f.suppressions, [
    { line: 0, codes: ['DJC101', 'DJC102'] },
    { line: 1, codes: ['DJC103'] },
    { line: 2, codes: [] },
    { line: 3, codes: [] },
  ]);
});

test('comment and verbatim blocks are skipped', () => {
  const f = facts(
    '{% comment %}{{ a.b }}{% cache 1 x %}{# noqa #}{% endcomment %}{% verbatim %}{{ c }}{% endverbatim %}{{ d }}',
  );
  assert.deepEqual(f.nodes, [{ t: 'var', path: 'd', line: 0, col: 104 }]);
  assert.deepEqual(f.suppressions, []);
});

test('tags do not span lines, like Django', () => {
  const f = facts('{{ a\n.b }} {% cache\n1 x %}');
  assert.deepEqual(f.nodes, []);
});

test('unclosed blocks end at the last line; stray end tags are ignored', () => {
  const f = facts(
    '{% endfor %}\n{% cache 60 frag %}\n{% tagged_cache 1 %}\n{{ x }}\n{% endtagged_cache %}\n{% tagged_cache 2 %}\n',
  );
  assert.equal(f.lines, 6);
  assert.deepEqual(f.nodes, [
    {
      t: 'cache',
      timeout: '60',
      name: 'frag',
      vary: [],
      using: null,
      line: 1,
      col: 0,
      endLine: 5,
      body: [
        {
          t: 'tag',
          name: 'tagged_cache',
          args: ['1'],
          line: 2,
          col: 0,
          endLine: 4,
          body: [{ t: 'var', path: 'x', line: 3, col: 3 }],
        },
        { t: 'tag', name: 'tagged_cache', args: ['2'], line: 5, col: 0, endLine: 5, body: [] },
      ],
    },
  ]);
});

test('an end tag closes inner unclosed blocks', () => {
  const f = facts('{% cache 1 a %}{% with x=y %}{% endcache %}{{ z }}');
  assert.deepEqual(f.nodes, [
    {
      t: 'cache',
      timeout: '1',
      name: 'a',
      vary: [],
      using: null,
      line: 0,
      col: 0,
      endLine: 0,
      body: [{ t: 'with', bindings: [['x', 'y']], line: 0, body: [] }],
    },
    { t: 'var', path: 'z', line: 0, col: 46 },
  ]);
});

test('a cache tag missing its name stays a generic tag', () => {
  const f = facts('{% cache 500 %}{{ a }}{% endcache %}');
  assert.deepEqual(f.nodes, [
    {
      t: 'tag',
      name: 'cache',
      args: ['500'],
      line: 0,
      col: 0,
      endLine: 0,
      body: [{ t: 'var', path: 'a', line: 0, col: 18 }],
    },
  ]);
});

test('never throws on junk', () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = [
    '{%',
    '%}',
    '{{',
    '}}',
    '{#',
    '#}',
    'end',
    'for',
    ' in ',
    'cache',
    'with',
    '=',
    '"',
    "'",
    '|',
    ':',
    '\n',
    'a.b',
    ' ',
    '\0',
    '\uD800',
    'empty',
    'as',
    'comment',
    'if',
  ];
  for (let n = 0; n < 2000; n++) {
    let text = '';
    const length = Math.floor(random() * 60);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    const f = facts(text);
    assert.equal(f.kind, 'template');
  }
  assert.equal(facts('').lines, 0);
});

test('blocks nested past MAX_TEMPLATE_NESTING keep their nodes but share the body around them; end tags still pair', () => {
  const levels = MAX_TEMPLATE_NESTING + 40;
  const text =
    '{% for x in xs %}{% with y=x.a %}\n'.repeat(levels / 2) +
    '{{ deepest }}\n' +
    '{% endwith %}{% endfor %}'.repeat(levels / 2) +
    '\n{{ after }}';
  const f = facts(text);
  let depth = 0;
  let body = f.nodes;
  while (body[0] && 'body' in body[0] && body[0].body.length) {
    body = body[0].body;
    depth++;
  }
  assert.equal(depth, MAX_TEMPLATE_NESTING);
  // The innermost body holds the blocks past the limit, in order, then what they hold.
  assert.deepEqual(
    body.map((n) => n.t),
    [...Array(40 / 2)].flatMap(() => ['for', 'with']).concat('var'),
  );
  assert.deepEqual(body[body.length - 1], { t: 'var', path: 'deepest', line: levels / 2, col: 3 });
  assert.deepEqual(f.nodes.slice(1), [{ t: 'var', path: 'after', line: levels / 2 + 2, col: 3 }]);
});

test('a cache fragment past MAX_TEMPLATE_NESTING is still a fragment with its end line', () => {
  const text =
    '{% if a %}{% with b=c %}\n'.repeat(MAX_TEMPLATE_NESTING) + '{% cache 60 deep %}{{ b }}\n{% endcache %}\n';
  const f = facts(text);
  const all: TemplateNode[] = [];
  const pending = [...f.nodes];
  while (pending.length) {
    const n = pending.pop()!;
    all.push(n);
    if ('body' in n) pending.push(...n.body);
  }
  const cache = all.find((n) => n.t === 'cache');
  assert.deepEqual(cache && { name: cache.name, line: cache.line, endLine: cache.endLine }, {
    name: 'deep',
    line: MAX_TEMPLATE_NESTING,
    endLine: MAX_TEMPLATE_NESTING + 1,
  });
});

test('pyjade: code lines become tags closed where their body ends, interpolations become variables, lines and columns kept', () => {
  const f = extractTemplateFacts(
    'shop/templates/x.jade',
    [
      '- load cache',
      'main',
      '  - cache 60 card p.pk',
      '    h1= p.title',
      '    | #{p.body}',
      '  //- - cache 1 gone',
      'p #{x}',
    ].join('\n'),
    'h1',
  );
  assert.deepEqual(f.loads, ['cache']);
  assert.deepEqual(f.nodes, [
    {
      t: 'cache',
      timeout: '60',
      name: 'card',
      vary: ['p.pk'],
      using: null,
      line: 2,
      col: 2,
      endLine: 4,
      body: [
        { t: 'var', path: 'p.title', line: 3, col: 7 },
        { t: 'var', path: 'p.body', line: 4, col: 9 },
      ],
    },
    { t: 'var', path: 'x', line: 6, col: 5 },
  ]);
});
