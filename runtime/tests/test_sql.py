import json
from pathlib import Path

import pytest

from djcache.sql import analyse, analyse_cached, tokenize

CASES = [
    # (sql, kind, writes, reads)
    ('SELECT "updated_at" FROM "shop_product" WHERE "updated_at" > %s', "select", set(), {"shop_product"}),
    ("SELECT updated_at, deleted, inserted_by FROM shop_product", "select", set(), {"shop_product"}),
    ("SELECT 'UPDATE x SET a=1; DELETE FROM y' FROM t", "select", set(), {"t"}),
    ("-- UPDATE foo SET a = 1\nSELECT 1", "select", set(), set()),
    ("/* DELETE FROM secret */ SELECT * FROM visible", "select", set(), {"visible"}),
    ('UPDATE "shop_product" SET "updated_at" = %s WHERE id = 1', "write", {"shop_product"}, set()),
    ('UPDATE "public"."shop_product" SET "name" = %s', "write", {"shop_product"}, set()),
    ("update ONLY shop_product set name = 'x'", "write", {"shop_product"}, set()),
    ('INSERT INTO "shop_category" ("name") VALUES (%s) RETURNING "id"', "write", {"shop_category"}, set()),
    ("INSERT OR REPLACE INTO `shop`.`tag` (name) VALUES (?)", "write", {"tag"}, set()),
    ("REPLACE INTO [dbo].[Shop Item] (a) VALUES (1)", "write", {"shop item"}, set()),
    ("INSERT INTO p (a) SELECT a FROM q", "write", {"p"}, {"q"}),
    ("INSERT INTO p (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = EXCLUDED.a", "write", {"p"}, set()),
    ('DELETE FROM "shop_review" WHERE "shop_review"."id" IN (%s, %s)', "write", {"shop_review"}, {"shop_review"}),
    ("DELETE t1 FROM t1 INNER JOIN t2 ON t1.id = t2.id", "write", {"t1"}, {"t1", "t2"}),
    ("TRUNCATE TABLE a, ONLY b RESTART IDENTITY", "write", {"a", "b"}, set()),
    ("TRUNCATE c", "write", {"c"}, set()),
    ('ALTER TABLE "shop_product" ADD COLUMN "updated" integer', "ddl", {"shop_product"}, set()),
    ("DROP TABLE IF EXISTS a, b CASCADE", "ddl", {"a", "b"}, set()),
    ("CREATE TABLE new_t (updated_at int)", "other", set(), set()),
    ("COPY shop_product (name) FROM STDIN", "write", {"shop_product"}, set()),
    ("COPY shop_product TO STDOUT", "select", set(), {"shop_product"}),
    ("COPY (SELECT a FROM p JOIN q ON true) TO STDOUT", "select", set(), {"p", "q"}),
    ("WITH recent AS (SELECT * FROM shop_product WHERE updated_at > now()) SELECT * FROM recent JOIN shop_category c ON c.id = recent.category_id",
     "select", set(), {"shop_product", "shop_category"}),
    ("WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 5) SELECT n FROM t", "select", set(), set()),
    ('WITH moved AS (DELETE FROM "queue" WHERE id < 10 RETURNING *) INSERT INTO archive SELECT * FROM moved',
     "write", {"queue", "archive"}, {"queue"}),
    ("WITH x AS MATERIALIZED (SELECT 1) UPDATE tgt SET a = (SELECT 1 FROM x)", "write", {"tgt"}, set()),
    ('SELECT EXTRACT(YEAR FROM "o"."created") FROM "shop_order" "o"', "select", set(), {"shop_order"}),
    ("SELECT TRIM(BOTH ' ' FROM name), SUBSTRING(name FROM 2 FOR 3) FROM people", "select", set(), {"people"}),
    ("SELECT * FROM a, b AS bb, c cc WHERE a.x IS DISTINCT FROM b.y", "select", set(), {"a", "b", "c"}),
    ("SELECT * FROM a LEFT OUTER JOIN b ON (a.id = b.a_id) INNER JOIN \"S\".\"C\" ON true", "select", set(), {"a", "b", "c"}),
    ("SELECT * FROM (SELECT * FROM inner_t) sub WHERE id IN (SELECT a_id FROM other_t)", "select", set(), {"inner_t", "other_t"}),
    ("SELECT * FROM generate_series(1, 3)", "select", set(), set()),
    ("SELECT * FROM shop_product FOR UPDATE", "select", set(), {"shop_product"}),
    ("SELECT $body$ UPDATE x SET y $body$ FROM z", "select", set(), {"z"}),
    ("SELECT E'it\\'s UPDATE' FROM w", "select", set(), {"w"}),
    ("SAVEPOINT s1", "tx", set(), set()),
    ("RELEASE SAVEPOINT s1", "tx", set(), set()),
    ("UPDATE a SET x = 1; DELETE FROM b", "write", {"a", "b"}, {"b"}),
    ("MERGE INTO target t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v", "write", {"target"}, {"src"}),
    # a backslash is an ordinary character in standard strings (Django's SQLite LIKE ... ESCAPE '\')
    ("SELECT a FROM p WHERE a LIKE %s ESCAPE '\\' UNION SELECT b FROM q", "select", set(), {"p", "q"}),
    ("SELECT a FROM p WHERE a LIKE %s ESCAPE '\\' AND c IN (SELECT id FROM q)", "select", set(), {"p", "q"}),
    ("WITH x AS (SELECT 1 WHERE 'a' LIKE 'a' ESCAPE '\\') UPDATE t SET v = 1", "write", {"t"}, set()),
    ("SELECT E'\\'' FROM w", "select", set(), {"w"}),
]


@pytest.mark.parametrize("sql,kind,writes,reads", CASES, ids=[c[0][:40] for c in CASES])
def test_analyse(sql, kind, writes, reads):
    a = analyse(sql)
    assert a.kind == kind
    assert a.writes == writes
    assert a.reads == reads


def test_tokens_keep_identifiers_whole():
    toks = tokenize('SELECT "delete", updated_at, `update` FROM t')
    values = [(t.kind, t.value) for t in toks]
    assert ("qid", "delete") in values
    assert ("kw", "updated_at") in values
    assert ("qid", "update") in values
    assert not any(t.up == "UPDATE" for t in toks)


def test_doubled_quotes_and_comments():
    toks = tokenize("SELECT 'a''b', \"x\"\"y\" /* nested /* c */ DELETE */ FROM t")
    assert [t.value for t in toks if t.kind in ("str", "qid")] == ["a'b", 'x"y']
    assert analyse("SELECT 'a''b' /* nested /* c */ DELETE FROM x */ FROM t").writes == set()


def test_analysis_memo_is_bounded_and_keeps_recently_used_statements():
    analyse_cached.cache_clear()
    hot = "UPDATE hot SET a = 1"
    first = analyse_cached(hot)
    for i in range(5000):   # more one-off statements than the memo holds
        analyse_cached(f"SELECT {i} FROM t")
        if i % 1000 == 0:
            assert analyse_cached(hot) is first   # still memoised: used recently
    assert analyse_cached(hot) is first
    assert analyse_cached.cache_info().currsize == 4096


def test_backslash_escapes_only_where_the_dialect_has_them():
    mysql = "SELECT 'it\\'s' FROM t WHERE a LIKE 'x' UNION SELECT 1 FROM u"
    assert analyse(mysql, backslash_escapes=True).reads == {"t", "u"}
    assert [t.value for t in tokenize("SELECT '\\' FROM t") if t.kind == "str"] == ["\\"]
    assert [t.value for t in tokenize("SELECT 'a\\'", backslash_escapes=True)
            if t.kind == "str"] == ["a'"]


def test_truncate_cascade_is_recorded():
    assert analyse("TRUNCATE a, b CASCADE").truncated_cascade == {"a", "b"}
    assert analyse("TRUNCATE TABLE a RESTART IDENTITY CASCADE").truncated_cascade == {"a"}
    assert analyse("TRUNCATE a RESTRICT").truncated_cascade == set()
    assert analyse("TRUNCATE a").truncated_cascade == set()


SHARED = json.loads((Path(__file__).resolve().parents[2] / "spec" / "sql-cases.json").read_text())
RUNTIME_KINDS = {"read": {"select"}, "write": {"write", "ddl"}, "other": {"other", "tx"}}


@pytest.mark.parametrize("case", SHARED["cases"], ids=[c["sql"][:40] for c in SHARED["cases"]])
def test_shared_corpus(case):
    """spec/sql-cases.json: the same statements test/sql.test.ts gives the editor's classifier."""
    a = analyse(case["sql"])
    assert a.kind in RUNTIME_KINDS[case["kind"]]
    assert a.writes == set(case["writes"])
    assert a.reads == set(case.get("reads_runtime", case["reads"]))


PIN_CASES = [
    # (sql, pins, plain_insert)
    ('UPDATE "shop_product" SET "name" = %s WHERE "shop_product"."id" = %s',
     {"shop_product": {"id": (("p", 1),)}}, False),
    ('DELETE FROM "shop_product" WHERE "shop_product"."id" IN (%s, %s)',
     {"shop_product": {"id": (("p", 0), ("p", 1))}}, False),
    ('SELECT "p"."id" FROM "shop_product" "p" WHERE ("p"."price" > %s AND "p"."id" = %s) LIMIT 21',
     {"shop_product": {"id": (("p", 1),)}}, False),
    ('SELECT * FROM a INNER JOIN b ON (a.b_id = b.id) WHERE a.id = %(pk)s',
     {"a": {"id": (("k", "pk"),)}}, False),
    ('SELECT * FROM "sales"."order" WHERE "sales"."order"."id" = 5', {"order": {"id": (("v", "5"),)}}, False),
    ("DELETE FROM t WHERE id BETWEEN %s AND %s AND t.id = %s", {"t": {"id": (("p", 2),)}}, False),
    ("UPDATE p SET v = CASE WHEN (p.id = %s) THEN %s END WHERE p.id IN (%s, %s)",
     {"p": {"id": (("p", 2), ("p", 3))}}, False),
    ("SELECT * FROM t WHERE t.id = $2", {"t": {"id": (("p", 1),)}}, False),
    # an OR, a UNION, a second read of the table, a subquery, a join's other table: not pinned
    ("SELECT * FROM p WHERE p.id = 1 OR p.id = 2", {}, False),
    ("SELECT * FROM p WHERE id = $1 UNION SELECT * FROM p", {}, False),
    ("SELECT * FROM p WHERE id = %s AND price > (SELECT avg(price) FROM p)", {}, False),
    ("DELETE FROM p WHERE id IN (SELECT id FROM q)", {}, False),
    ("SELECT * FROM a JOIN b ON a.x = b.x WHERE a.id = 1", {"a": {"id": (("v", "1"),)}}, False),
    ("UPDATE a SET x = 1 WHERE id = 1; UPDATE a SET x = 2", {}, False),
    ("WITH c AS (SELECT 1) UPDATE a SET x = 1 WHERE id = 1", {}, False),
    # inserts: the values of each column; an upsert names no rows
    ('INSERT OR IGNORE INTO "shop_product_tags" ("product_id", "tag_id") VALUES (%s, %s), (%s, %s)',
     {"shop_product_tags": {"product_id": (("p", 0), ("p", 2)), "tag_id": (("p", 1), ("p", 3))}}, True),
    ('INSERT INTO "p" ("name", "id") VALUES (%s, DEFAULT) RETURNING "p"."id"', {"p": {"name": (("p", 0),)}}, True),
    ("INSERT INTO p (id, name) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET id = EXCLUDED.id", {}, False),
    ("INSERT INTO p (id) VALUES (%s) ON CONFLICT DO NOTHING", {"p": {"id": (("p", 0),)}}, True),
    ("INSERT OR REPLACE INTO p (id) VALUES (1)", {}, False),
    ("INSERT INTO p (id) VALUES (1) ON DUPLICATE KEY UPDATE id = 2", {}, False),
    ("INSERT INTO p (a) SELECT a FROM q", {}, True),
    # Django's bulk_create on PostgreSQL: one list parameter per column
    ('INSERT INTO "r" ("product_id", "text") SELECT * FROM UNNEST((%s)::integer[], (%s)::varchar[]) RETURNING "r"."id"',
     {"r": {"product_id": (("a", 0),), "text": (("a", 1),)}}, True),
    ("INSERT INTO r (a, b) SELECT * FROM UNNEST((%s)::integer[], (%s || 'x')::text[])", {"r": {"a": (("a", 0),)}}, True),
    ("INSERT INTO r (a) SELECT * FROM UNNEST((%s)::integer[]) WHERE a > 1", {}, True),
]

SET_CASES = [
    # (sql, the columns an UPDATE sets: column -> value reference, None for an expression)
    ('UPDATE "r" SET "product_id" = %s, "text" = %s WHERE "r"."id" = %s', {"product_id": ("p", 0), "text": ("p", 1)}),
    ('UPDATE "p" SET "price" = ("p"."price" + %s) WHERE "p"."id" = %s', {"price": None}),
    ("UPDATE p SET a = 1, b = f(x, y) FROM q WHERE p.id = q.id", {"a": ("v", "1"), "b": None}),
    ("UPDATE p SET (a, b) = (1, 2)", None),
    ("DELETE FROM p WHERE id = 1", None),
]


@pytest.mark.parametrize("sql,sets", SET_CASES, ids=[c[0][:40] for c in SET_CASES])
def test_update_sets(sql, sets):
    assert analyse(sql).sets == sets


@pytest.mark.parametrize("sql,pins,plain_insert", PIN_CASES, ids=[c[0][:40] for c in PIN_CASES])
def test_pins(sql, pins, plain_insert):
    result = analyse(sql)
    assert result.pins == pins
    assert result.plain_insert == plain_insert
