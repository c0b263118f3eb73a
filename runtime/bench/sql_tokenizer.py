"""Why djcache.sql keeps its own tokenizer: it against sqlparse (which Django requires).

    runtime/.venv-dj52/bin/python -m bench.sql_tokenizer          (from runtime/)

Prints microseconds per call (best of 5 rounds) for tokenizing and for a full analysis of
statements Django emits, and what sqlparse's get_type() calls the statements whose kind
djcache must get right. The figures quoted in djcache/sql.py's docstring come from here.
"""
import timeit

import sqlparse

from djcache import sql

STATEMENTS = {
    "insert": 'INSERT INTO "shop_product" ("name", "price", "updated_at", "category_id") '
              'VALUES (%s, %s, %s, %s) RETURNING "shop_product"."id"',
    "update": 'UPDATE "shop_product" SET "price" = %s, "updated_at" = %s '
              'WHERE "shop_product"."id" = %s',
    "select join": 'SELECT "shop_product"."id", "shop_product"."name", "shop_category"."name" '
                   'FROM "shop_product" INNER JOIN "shop_category" '
                   'ON ("shop_product"."category_id" = "shop_category"."id") '
                   'WHERE "shop_category"."id" = %s ORDER BY "shop_product"."name" ASC',
}
KINDS = [
    "WITH d AS (DELETE FROM queue RETURNING *) SELECT * FROM d",
    "COPY shop_product (name) FROM STDIN",
    "MERGE INTO target t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v",
]


def best_us(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main():
    print(f"sqlparse {sqlparse.__version__}")
    print(f"{'statement':<12} {'tokenize':>9} {'sqlparse.lexer':>15} "
          f"{'analyse':>9} {'sqlparse.parse':>15}   (µs per call)")
    for name, text in STATEMENTS.items():
        ours_tok = best_us(lambda t=text: sql.tokenize(t), 2000)
        theirs_tok = best_us(lambda t=text: list(sqlparse.lexer.tokenize(t)), 500)
        ours = best_us(lambda t=text: sql.analyse(t), 2000)
        theirs = best_us(lambda t=text: sqlparse.parse(t), 200)
        print(f"{name:<12} {ours_tok:9.1f} {theirs_tok:15.1f} {ours:9.1f} {theirs:15.1f}")
    print()
    for text in KINDS:
        print(f"sqlparse get_type()={sqlparse.parse(text)[0].get_type():<8} "
              f"djcache kind={sql.analyse(text).kind:<7} writes={sorted(sql.analyse(text).writes)}"
              f"  {text[:48]}")


if __name__ == "__main__":
    main()
