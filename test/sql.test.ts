import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { classifySql } from '../server/src/syntax/sql';

const cases: [string, string, ReturnType<typeof classifySql>][] = [
  [
    'plain select with joins and aliases',
    'SELECT p.id, c.name FROM shop_product p INNER JOIN shop_category AS c ON c.id = p.category_id LEFT OUTER JOIN "Shop_Brand" b ON b.id = p.brand_id',
    { kind: 'select', reads: ['shop_product', 'shop_category', 'shop_brand'], writes: [] },
  ],
  [
    'comma joins, schemas and quoted identifiers',
    'select * from public.shop_product, `shop`.`shop_tag` t, [dbo].[Orders]',
    { kind: 'select', reads: ['shop_product', 'shop_tag', 'orders'], writes: [] },
  ],
  [
    'subqueries in FROM and WHERE',
    'SELECT * FROM (SELECT id FROM shop_order) o WHERE o.id IN (SELECT order_id FROM shop_item)',
    { kind: 'select', reads: ['shop_order', 'shop_item'], writes: [] },
  ],
  [
    'update with columns that look like keywords',
    "UPDATE shop_product SET updated_at = now(), deleted = true, note = 'DELETE FROM shop_order' WHERE id = %s",
    { kind: 'update', reads: [], writes: ['shop_product'] },
  ],
  [
    'update ... from (Postgres)',
    'UPDATE shop_product AS p SET price = s.price FROM shop_sale s WHERE s.product_id = p.id',
    { kind: 'update', reads: ['shop_sale'], writes: ['shop_product'] },
  ],
  [
    'update with join (MySQL)',
    'UPDATE shop_product p JOIN shop_category c ON c.id = p.category_id SET p.active = 0',
    { kind: 'update', reads: ['shop_category'], writes: ['shop_product'] },
  ],
  [
    'insert ... select',
    'INSERT INTO shop_archive (id, name) SELECT id, name FROM shop_product WHERE deleted',
    { kind: 'insert', reads: ['shop_product'], writes: ['shop_archive'] },
  ],
  [
    'insert on conflict do update is still an insert',
    'INSERT INTO "shop_stock" (sku, qty) VALUES (%s, %s) ON CONFLICT (sku) DO UPDATE SET qty = EXCLUDED.qty',
    { kind: 'insert', reads: [], writes: ['shop_stock'] },
  ],
  [
    'MySQL replace and insert ignore',
    'REPLACE INTO shop_cache_row VALUES (1); INSERT IGNORE INTO shop_log (a) VALUES (2) ON DUPLICATE KEY UPDATE a = 3',
    { kind: 'insert', reads: [], writes: ['shop_cache_row', 'shop_log'] },
  ],
  [
    'delete with subquery',
    'DELETE FROM shop_cart WHERE user_id IN (SELECT id FROM auth_user WHERE last_login < %(cutoff)s)',
    { kind: 'delete', reads: ['auth_user'], writes: ['shop_cart'] },
  ],
  [
    'delete using (Postgres)',
    'DELETE FROM shop_item i USING shop_order o WHERE o.id = i.order_id',
    { kind: 'delete', reads: ['shop_order'], writes: ['shop_item'] },
  ],
  [
    'MySQL multi-table delete names tables through aliases',
    'DELETE i FROM shop_item i JOIN shop_order o ON o.id = i.order_id',
    { kind: 'delete', reads: ['shop_item', 'shop_order'], writes: ['shop_item'] },
  ],
  [
    'truncate several tables',
    'TRUNCATE TABLE shop_item, public.shop_order',
    { kind: 'delete', reads: [], writes: ['shop_item', 'shop_order'] },
  ],
  [
    'CTE feeding an update: CTE names are not tables',
    'WITH RECURSIVE tree (id) AS (SELECT id FROM shop_category UNION ALL SELECT c.id FROM shop_category c JOIN tree ON c.parent_id = tree.id) UPDATE shop_product SET hidden = true FROM tree WHERE category_id = tree.id',
    { kind: 'update', reads: ['shop_category'], writes: ['shop_product'] },
  ],
  [
    'data-modifying CTE makes a select a write',
    'WITH gone AS (DELETE FROM shop_cart RETURNING id) SELECT count(*) FROM gone',
    { kind: 'delete', reads: [], writes: ['shop_cart'] },
  ],
  [
    'comments and strings hide keywords',
    "-- UPDATE shop_product\nSELECT 'UPDATE x', $$DELETE FROM y$$, E'it\\'s FROM z' /* DELETE FROM w */ FROM shop_product",
    { kind: 'select', reads: ['shop_product'], writes: [] },
  ],
  [
    'functions with FROM in their arguments are not tables',
    'SELECT EXTRACT(YEAR FROM created), SUBSTRING(name FROM 2), a IS DISTINCT FROM b FROM shop_order, generate_series(1, 3) g',
    { kind: 'select', reads: ['shop_order'], writes: [] },
  ],
  [
    'f-string holes are unknown identifiers',
    'UPDATE {table} SET x = {value}; DELETE FROM {schema}.shop_item; SELECT * FROM shop_{suffix}',
    { kind: 'update', reads: ['?'], writes: ['?', 'shop_item'] },
  ],
  [
    'percent parameter in a table position',
    'DELETE FROM %s WHERE id = %s',
    { kind: 'delete', reads: [], writes: ['?'] },
  ],
  [
    'select for update stays a select',
    'SELECT id FROM shop_stock WHERE sku = %s FOR UPDATE',
    { kind: 'select', reads: ['shop_stock'], writes: [] },
  ],
  ['other statements', 'CREATE INDEX idx ON shop_product (name)', { kind: 'other', reads: [], writes: [] }],
  ['empty input', '', { kind: 'other', reads: [], writes: [] }],
];

for (const [name, sql, expected] of cases) {
  test(name, () => assert.deepEqual(classifySql(sql), expected));
}

test('never throws on unbalanced or truncated input', () => {
  const inputs = [
    "UPDATE 'unterminated",
    'SELECT * FROM (SELECT',
    'WITH x AS (',
    'DELETE',
    'INSERT INTO',
    '"',
    '[',
    '$a$ open',
    '/* open',
    ')))',
    'WITH',
    'FROM .',
  ];
  assert.deepEqual(
    inputs.map((sql) => classifySql(sql).kind),
    ['update', 'select', 'other', 'delete', 'insert', 'other', 'other', 'other', 'other', 'other', 'other', 'other'],
  );
  assert.deepEqual(classifySql('SELECT * FROM (SELECT a FROM t'), { kind: 'select', reads: ['t'], writes: [] });
});

/** spec/sql-cases.json: the same statements runtime/tests/test_sql.py gives the runtime's analyser. */
interface SharedCase {
  sql: string;
  kind: 'read' | 'write' | 'other';
  reads: string[];
  writes: string[];
}
const shared: { cases: SharedCase[] } = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'spec', 'sql-cases.json'), 'utf8'),
);
const KIND_OF: Record<SharedCase['kind'], string[]> = {
  read: ['select'],
  write: ['insert', 'update', 'delete'],
  other: ['other'],
};
for (const c of shared.cases) {
  test(`shared corpus: ${c.sql.slice(0, 60) || '(empty)'}`, () => {
    const got = classifySql(c.sql);
    assert.ok(KIND_OF[c.kind].includes(got.kind), `${got.kind} is not ${c.kind}`);
    assert.deepEqual(new Set(got.writes), new Set(c.writes));
    assert.deepEqual(new Set(got.reads), new Set(c.reads));
  });
}
