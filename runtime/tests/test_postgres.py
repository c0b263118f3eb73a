"""Threads on PostgreSQL: a reader caching during an open write transaction leaves no stale
entry after commit."""
import threading

import pytest
from django.db import connections, transaction

from djcache import tagged
from tests.conftest import need
from tests.test_commit_hooks import MISSING, write_after_failing_hook
from tests.testapp.models import Category, Product

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "pg"])


@pytest.fixture(autouse=True)
def _pg():
    need("DJCACHE_TEST_PG")


def _price(pk):
    return Product.objects.using("pg").get(pk=pk).price


def _reader(pk, out, barrier=None):
    try:
        h = tagged(Product, using="pg")
        out.append(h.get_or_set(f"price:{pk}", lambda: _price(pk), 300))
    finally:
        connections.close_all()


@pytest.mark.parametrize("round_", range(5))
def test_reader_during_open_write_transaction(round_):
    cat = Category.objects.using("pg").create(name="c")
    p = Product.objects.using("pg").create(name="p", price=1, category=cat)
    h = tagged(Product, using="pg")
    assert h.get_or_set(f"price:{p.pk}", lambda: _price(p.pk), 300) == 1
    seen = []
    with transaction.atomic(using="pg"):
        Product.objects.using("pg").filter(pk=p.pk).update(price=2)
        # a concurrent reader recomputes from committed (old) rows and caches them
        t = threading.Thread(target=_reader, args=(p.pk, seen))
        t.start()
        t.join()
        assert seen == [1]
        # ... and that value is served to other readers while the transaction is open
        more = []
        t = threading.Thread(target=_reader, args=(p.pk, more))
        t.start()
        t.join()
        assert more == [1]
    after = []
    t = threading.Thread(target=_reader, args=(p.pk, after))
    t.start()
    t.join()
    assert after == [2], "stale entry survived the commit"
    assert h.get_or_set(f"price:{p.pk}", lambda: _price(p.pk), 300) == 2


def test_many_concurrent_readers_and_writers():
    cat = Category.objects.using("pg").create(name="c")
    p = Product.objects.using("pg").create(name="p", price=0, category=cat)
    stop = threading.Event()
    errors = []

    def writer():
        try:
            for i in range(1, 31):
                with transaction.atomic(using="pg"):
                    Product.objects.using("pg").filter(pk=p.pk).update(price=i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()
            connections.close_all()

    def reader():
        try:
            h = tagged(Product, using="pg")
            while not stop.is_set():
                h.get_or_set(f"price:{p.pk}", lambda: _price(p.pk), 300)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert tagged(Product, using="pg").get_or_set(f"price:{p.pk}", lambda: _price(p.pk)) == 30


def test_pg_savepoints_and_rollback():
    cat = Category.objects.using("pg").create(name="c")
    h = tagged(Category, using="pg")
    name = lambda: Category.objects.using("pg").get(pk=cat.pk).name
    assert h.get_or_set("name", name) == "c"
    with transaction.atomic(using="pg"):
        sid = transaction.savepoint(using="pg")
        Category.objects.using("pg").filter(pk=cat.pk).update(name="x")
        transaction.savepoint_rollback(sid, using="pg")
        t_seen = []
        t = threading.Thread(target=lambda: (t_seen.append(h.get_or_set("name", name)),
                                             connections.close_all()))
        t.start()
        t.join()
        assert t_seen == ["c"]
    assert h.get_or_set("name", name) == "c"


def test_raising_application_hook_does_not_stop_the_commit_bump():
    """issue 14, item 6, on PostgreSQL: the other thread really reads the pre-commit rows."""
    cat = Category.objects.using("pg").create(name="old")
    h = tagged(Category, using="pg")

    def read_committed_name():
        return h.get_or_set("name", lambda: Category.objects.using("pg").get(pk=cat.pk).name)

    write_after_failing_hook("pg", cat, h, read_committed_name)
    assert h.get("name", MISSING) is MISSING, "entry cached from pre-commit rows survived"
    assert h.get_or_set("name", lambda: Category.objects.using("pg").get(pk=cat.pk).name) == "new"
