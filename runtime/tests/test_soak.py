"""A bounded soak: concurrent reads and writes against Redis and PostgreSQL, 0 stale reads.

Writers increment product prices (so every row's value only grows) through three paths: an
ORM update in a transaction, the same with an application on_commit hook registered first
that raises, and a raw autocommit UPDATE. After a write has returned, its value is the
row's floor. A reader notes the floors, then reads through the cache (one entry per row and
one for all rows); a value below the floor noted before the read began is a stale read.

The counts are fixed (no clock): DJCACHE_SOAK_SCALE multiplies them (docs/reliability.md
records a longer run). Run it alone with
    DJCACHE_SOAK_SCALE=10 python -m pytest -q -s tests/test_soak.py
with the servers runtime/scripts/ci.sh starts (DJCACHE_TEST_REDIS, DJCACHE_TEST_PG).
"""
import os
import random
import threading

import pytest
from django.db import connections, transaction
from django.db.models import F

from djcache import tagged
from tests.conftest import need
from tests.testapp.models import Category, Product

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "pg"])

SCALE = int(os.environ.get("DJCACHE_SOAK_SCALE", "1"))
ROWS = 5
READERS, READS_EACH = 4, 250 * SCALE
WRITERS, WRITES_EACH = 2, 100 * SCALE


class HookFailed(Exception):
    pass


def _failing_hook():
    raise HookFailed


class Floors:
    """The highest price of each row whose write has returned to its writer."""

    def __init__(self, pks):
        self._lock = threading.Lock()
        self._floor = dict.fromkeys(pks, 0)

    def raise_to(self, pk, value):
        with self._lock:
            self._floor[pk] = max(self._floor[pk], value)

    def snapshot(self):
        with self._lock:
            return dict(self._floor)


def _write(pk, path):
    products = Product.objects.using("pg")
    if path == "raw":
        with connections["pg"].cursor() as cur:
            cur.execute('UPDATE "testapp_product" SET "price" = "price" + 1 WHERE "id" = %s '
                        'RETURNING "price"', [pk])
            return cur.fetchone()[0]
    try:
        with transaction.atomic(using="pg"):
            if path == "hook raises":
                transaction.on_commit(_failing_hook, using="pg")
            products.filter(pk=pk).update(price=F("price") + 1)
            value = products.get(pk=pk).price
    except HookFailed:
        pass  # committed; the application's hook failed afterwards
    return value


@pytest.fixture
def redis_and_pg(use_cache):
    need("DJCACHE_TEST_PG")
    need("DJCACHE_TEST_REDIS")
    use_cache("redis")


def test_soak_concurrent_reads_and_writes_serve_no_stale_value(redis_and_pg):
    cat = Category.objects.using("pg").create(name="c")
    pks = [Product.objects.using("pg").create(name=f"p{i}", price=0, category=cat).pk
           for i in range(ROWS)]
    floors = Floors(pks)
    tally = {"reads": 0, "writes": 0, "stale": 0, "computed": 0}
    tally_lock = threading.Lock()
    stale_examples = []
    errors = []

    def count(**delta):
        with tally_lock:
            for k, n in delta.items():
                tally[k] += n

    def price(pk):
        count(computed=1)
        return Product.objects.using("pg").get(pk=pk).price

    def all_prices():
        count(computed=1)
        return dict(Product.objects.using("pg").filter(pk__in=pks).values_list("pk", "price"))

    def writer(seed):
        rng = random.Random(seed)
        try:
            for _ in range(WRITES_EACH):
                pk = rng.choice(pks)
                value = _write(pk, rng.choice(["orm", "hook raises", "raw"]))
                floors.raise_to(pk, value)
                count(writes=1)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def reader(seed):
        rng = random.Random(seed)
        h = tagged(Product, using="pg")
        try:
            for _ in range(READS_EACH):
                before = floors.snapshot()
                if rng.random() < 0.8:
                    pk = rng.choice(pks)
                    got = {pk: h.get_or_set(f"soak:price:{pk}", lambda pk=pk: price(pk), 300)}
                else:
                    got = h.get_or_set("soak:prices", all_prices, 300)
                late = {pk: (v, before[pk]) for pk, v in got.items() if v < before[pk]}
                count(reads=1, stale=1 if late else 0)
                if late and len(stale_examples) < 5:
                    stale_examples.append(late)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    threads += [threading.Thread(target=reader, args=(100 + i,)) for i in range(READERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"\nsoak: {tally}")
    assert not errors, errors
    assert tally["reads"] == READERS * READS_EACH and tally["writes"] == WRITERS * WRITES_EACH
    assert tally["stale"] == 0, stale_examples
    # after the run, the cache agrees with the database
    h = tagged(Product, using="pg")
    final = dict(Product.objects.using("pg").filter(pk__in=pks).values_list("pk", "price"))
    assert h.get_or_set("soak:prices", all_prices, 300) == final
    assert sum(final.values()) == WRITERS * WRITES_EACH
