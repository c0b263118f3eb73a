"""The ways a Django app writes to a table, each checked against a cached value.

The list of cases follows the test suite of django-cachalot (https://github.com/noripyt/
django-cachalot, ``cachalot/tests/write.py``, ``transaction.py``, ``thread_safety.py``,
``api.py``), which enumerates them for its own per-table invalidation. The code here is ours:
each case reads through ``tagged(...)`` (once with ``"auto"``, once with the models named
explicitly), writes, and checks that the next read equals what the database now returns;
the "must not invalidate" cases check that an unrelated write leaves the entry cached.
Every case runs on SQLite and, when ``DJCACHE_TEST_PG`` is set, on PostgreSQL; cases that
need another connection reading during an open transaction run on PostgreSQL only (SQLite's
in-memory test database locks the table instead).
"""
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import connections, transaction
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL

import djcache
from djcache import tagged
from tests import settings as test_settings
from tests.conftest import need
from tests.test_commit_hooks import _in_thread
from tests.testapp.models import (Category, Product, Restaurant, Review, SalesOrder, Supplier,
                                  Tag, Unrelated)

DATABASES = ["default", "other"] + (["pg"] if test_settings.PG else [])
pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request):
    if request.param == "postgresql":
        need("DJCACHE_TEST_PG")
        return "pg"
    return "default"


@pytest.fixture(params=["auto", "explicit"])
def probe(request, db):
    return Probe(db, request.param)


class Probe:
    """Reads through the cache with ``"auto"`` or with explicit tags, counting computations."""

    def __init__(self, db, mode):
        self.db = db
        self.mode = mode
        self.computed = 0

    def handle(self, deps):
        if self.mode == "auto":
            return tagged("auto")
        return tagged(*deps, using=self.db)

    def read(self, key, fn, deps):
        def compute():
            self.computed += 1
            return fn()
        return self.handle(deps).get_or_set(key, compute, 300)

    def assert_fresh(self, key, fn, deps):
        assert self.read(key, fn, deps) == fn(), f"{key}: stale value served"

    def warm(self, key, fn, deps):
        """Read twice: an "auto" family's first value is stored only when none of the tables
        it read was written within the last second, which the setup has just done."""
        self.assert_fresh(key, fn, deps)
        self.assert_fresh(key, fn, deps)

    def assert_cached(self, key, fn, deps):
        before = self.computed
        assert self.read(key, fn, deps) == fn()
        assert self.computed == before, f"{key}: invalidated by an unrelated write"


def cursor(db):
    return connections[db].cursor()


def objects(model, db):
    return model.objects.db_manager(db)


# --- one write, one read ----------------------------------------------------------------------
# name -> (dependencies, setup(db), read(db), write(db, made)); setup returns what write needs.

def _names(model, db):
    return sorted(objects(model, db).values_list("name", flat=True))


def _products(db):
    cat = objects(Category, db).create(name="c1")
    tag = objects(Tag, db).create(name="t1")
    p1 = objects(Product, db).create(name="p1", price=1, category=cat)
    p2 = objects(Product, db).create(name="p2", price=2, category=cat)
    return {"cat": cat, "tag": tag, "p1": p1, "p2": p2}


def _user_counts(db):
    return list(objects(User, db).annotate(n=Count("groups")).order_by("username")
                .values_list("username", "n"))


def _write_update_or_create(db, made):
    objects(Product, db).update_or_create(name="p1", defaults={"price": 7})


def _write_get_or_create(db, made):
    objects(Category, db).get_or_create(name="new")


def _write_save(db, made):
    made["p1"].price = 9
    made["p1"].save()


def _write_bulk_update(db, made):
    made["p1"].price, made["p2"].price = 10, 20
    objects(Product, db).bulk_update([made["p1"], made["p2"]], ["price"])


def _write_m2m_add(db, made):
    made["p1"].tags.add(made["tag"])


def _write_raw_executemany(db, made):
    with cursor(db) as cur:
        cur.executemany("INSERT INTO testapp_category (name) VALUES (%s)", [["r1"], ["r2"]])


def _write_raw_update(db, made):
    with cursor(db) as cur:
        cur.execute("UPDATE testapp_product SET price = 50;")


def _write_raw_delete(db, made):
    with cursor(db) as cur:
        cur.execute("DELETE FROM testapp_review")


def _write_after_escape_literal(db, made):
    # a statement whose string literal ends in a backslash before the table it writes
    with cursor(db) as cur:
        cur.execute("WITH x AS (SELECT 1 AS one WHERE 'a' LIKE 'a' ESCAPE '\\') "
                    "UPDATE testapp_product SET price = 60 WHERE price IN (SELECT one FROM x)")


def _write_mti_child_update(db, made):
    objects(Restaurant, db).update(name="renamed")


def _write_flush(db, made):
    call_command("flush", database=db, verbosity=0, interactive=False)


def _write_loaddata(db, made):
    call_command("loaddata", "peer_categories", database=db, verbosity=0)


def _setup_reviews(db):
    made = _products(db)
    objects(Review, db).create(product=made["p1"], text="ok")
    return made


def _setup_restaurant(db):
    objects(Restaurant, db).create(name="r1")
    return {}


def _setup_users(db):
    u = objects(User, db).create_user("ann")
    g = objects(Group, db).create(name="g")
    return {"user": u, "group": g}


def _write_user_groups(db, made):
    made["user"].groups.add(made["group"])


def _with_user_perm(db):
    made = _setup_users(db)
    ct = made["group"].permissions.model._meta.get_field("content_type").related_model
    made["perm"] = objects(Permission, db).create(
        name="p", codename="peer_p", content_type=objects(ct, db).get_for_model(Category))
    return made


def _write_user_perm(db, made):
    made["user"].user_permissions.add(made["perm"])


WRITES: dict[str, tuple[tuple, Callable, Callable, Callable]] = {
    "create": ((Category,), lambda db: {}, lambda db: _names(Category, db),
               lambda db, m: objects(Category, db).create(name="x")),
    "get_or_create": ((Category,), lambda db: {}, lambda db: _names(Category, db),
                      _write_get_or_create),
    "update_or_create": ((Product,), _products,
                         lambda db: sorted(objects(Product, db).values_list("name", "price")),
                         _write_update_or_create),
    "bulk_create": ((Category,), lambda db: {}, lambda db: _names(Category, db),
                    lambda db, m: objects(Category, db).bulk_create(
                        [Category(name=f"b{i}") for i in range(5)])),
    "save": ((Product,), _products,
             lambda db: sorted(objects(Product, db).values_list("price", flat=True)), _write_save),
    "queryset_update": ((Product,), _products,
                        lambda db: sorted(objects(Product, db).values_list("price", flat=True)),
                        lambda db, m: objects(Product, db).update(price=3)),
    "bulk_update": ((Product,), _products,
                    lambda db: sorted(objects(Product, db).values_list("price", flat=True)),
                    _write_bulk_update),
    "instance_delete": ((Product,), _products, lambda db: _names(Product, db),
                        lambda db, m: m["p2"].delete()),
    "queryset_delete": ((Product,), _products, lambda db: _names(Product, db),
                        lambda db, m: objects(Product, db).all().delete()),
    "exists": ((Category,), lambda db: {}, lambda db: objects(Category, db).exists(),
               lambda db, m: objects(Category, db).create(name="x")),
    "count": ((Category,), lambda db: {}, lambda db: objects(Category, db).count(),
              lambda db, m: objects(Category, db).create(name="x")),
    "get": ((Category,), lambda db: {},
            lambda db: objects(Category, db).filter(name="x").first() is not None,
            lambda db, m: objects(Category, db).create(name="x")),
    "values": ((Product,), _products,
               lambda db: list(objects(Product, db).order_by("pk").values("name", "price")),
               lambda db, m: objects(Product, db).filter(name="p1").update(price=4)),
    "foreign_key": ((Product, Category), _products,
                    lambda db: sorted(objects(Product, db).values_list("name", "category__name")),
                    lambda db, m: objects(Category, db).update(name="renamed")),
    "many_to_many_add": ((Product, Tag), _products,
                         lambda db: sorted(objects(Product, db).filter(tags__name="t1")
                                           .values_list("name", flat=True)),
                         _write_m2m_add),
    "many_to_many_reverse": ((Product, Tag), _products,
                             lambda db: sorted(objects(Tag, db).annotate(n=Count("products"))
                                               .values_list("name", "n")),
                             lambda db, m: m["tag"].products.add(m["p1"], m["p2"])),
    "aggregate": ((Category, Product), _products,
                  lambda db: objects(Category, db).aggregate(n=Count("products"))["n"],
                  lambda db, m: objects(Product, db).create(name="p3", category=m["cat"])),
    "annotate": ((User, Group), _setup_users, _user_counts, _write_user_groups),
    "subquery": ((Product, Category), _products,
                 lambda db: _names_in(db, objects(Category, db).filter(name="c2")),
                 lambda db, m: objects(Category, db).filter(name="c1").update(name="c2")),
    "nested_subqueries": ((User, Permission), _with_user_perm,
                          lambda db: list(objects(User, db).filter(pk__in=objects(User, db).filter(
                              user_permissions__in=objects(Permission, db).all()))
                              .values_list("username", flat=True)),
                          _write_user_perm),
    "raw_subquery": ((Product, Category), _products,
                     lambda db: sorted(objects(Product, db).filter(category_id__in=RawSQL(
                         "SELECT id FROM testapp_category WHERE name = %s", ("c9",)))
                         .values_list("name", flat=True)),
                     lambda db, m: objects(Category, db).update(name="c9")),
    "select_related": ((Product, Category), _products,
                       lambda db: sorted((p.name, p.category.name) for p in
                                         objects(Product, db).select_related("category")),
                       lambda db, m: objects(Category, db).update(name="renamed")),
    "prefetch_related": ((Product, Tag), _products,
                         lambda db: sorted((p.name, tuple(t.name for t in p.tags.all())) for p in
                                           objects(Product, db).prefetch_related("tags")),
                         _write_m2m_add),
    "extra_select": ((Product, Category), _products,
                     lambda db: sorted(objects(Product, db).extra(select={
                         "cat": "SELECT name FROM testapp_category "
                                "WHERE testapp_category.id = testapp_product.category_id"})
                         .values_list("name", "cat")),
                     lambda db, m: objects(Category, db).update(name="renamed")),
    "extra_where": ((Product, Category), _products,
                    lambda db: _names_of(objects(Product, db).extra(where=[
                        "category_id IN (SELECT id FROM testapp_category WHERE name = 'c9')"])),
                    lambda db, m: objects(Category, db).update(name="c9")),
    "extra_tables": ((Product, Tag), _products,
                     lambda db: objects(Product, db).extra(tables=["testapp_tag"]).count(),
                     lambda db, m: objects(Tag, db).create(name="t2")),
    "having": ((Category, Product), _products,
               lambda db: sorted(objects(Category, db).annotate(n=Count("products"))
                                 .filter(n__gt=2).values_list("name", flat=True)),
               lambda db, m: objects(Product, db).create(name="p3", category=m["cat"])),
    "table_inheritance": ((Restaurant,), _setup_restaurant, lambda db: _names(Restaurant, db),
                          _write_mti_child_update),
    "raw_insert": ((Category,), lambda db: {}, lambda db: _names(Category, db),
                   lambda db, m: cursor(db).execute(
                       "INSERT INTO testapp_category (name) VALUES ('raw')")),
    "raw_executemany": ((Category,), lambda db: {}, lambda db: _names(Category, db),
                        _write_raw_executemany),
    "raw_update": ((Product,), _products,
                   lambda db: sorted(objects(Product, db).values_list("price", flat=True)),
                   _write_raw_update),
    "raw_delete": ((Review,), _setup_reviews, lambda db: _texts(db), _write_raw_delete),
    "flush": ((Category,), lambda db: {"c": objects(Category, db).create(name="c")},
              lambda db: _names(Category, db), _write_flush),
    "loaddata": ((Category,), lambda db: {}, lambda db: _names(Category, db), _write_loaddata),
    # SQLite's contains/startswith lookups end in ESCAPE '\': tables after them must count
    "contains_then_union": ((Product, Category), _products,
                            lambda db: sorted(objects(Product, db).filter(name__contains="p")
                                              .values_list("name", flat=True)
                                              .union(objects(Category, db)
                                                     .values_list("name", flat=True))),
                            lambda db, m: objects(Category, db).create(name="c2")),
    "contains_then_subquery": ((Product, Category), _products,
                               lambda db: _names_of(objects(Product, db).filter(
                                   name__startswith="p",
                                   category__in=objects(Category, db).filter(name="c9"))),
                               lambda db, m: objects(Category, db).update(name="c9")),
    "write_after_escape_literal": ((Product,), _products,
                                   lambda db: sorted(objects(Product, db)
                                                     .values_list("price", flat=True)),
                                   _write_after_escape_literal),
    "or_lookup_icontains": ((Product, Category), _products,
                            lambda db: _names_of(objects(Product, db).filter(
                                Q(name__icontains="P") | Q(category__name__endswith="9"))),
                            lambda db, m: objects(Category, db).update(name="c9")),
}


def _names_in(db, categories):
    return _names_of(objects(Product, db).filter(category__in=categories))


def _names_of(qs):
    return sorted(qs.values_list("name", flat=True))


def _texts(db):
    return sorted(objects(Review, db).values_list("text", flat=True))


@pytest.mark.parametrize("case", sorted(WRITES))
def test_write_invalidates(probe, db, case):
    deps, setup, read, write = WRITES[case]
    made = setup(db)
    fn = lambda: read(db)  # noqa: E731
    probe.warm(case, fn, deps)
    probe.assert_cached(case, fn, deps)
    write(db, made)
    probe.assert_fresh(case, fn, deps)


# --- writes that must leave an entry alone ----------------------------------------------------

def _create_and_drop_index(db):
    with cursor(db) as cur:
        cur.execute("CREATE INDEX peer_tmp_index ON testapp_unrelated (name)")
        cur.execute("DROP INDEX peer_tmp_index")


UNRELATED: dict[str, tuple[tuple, Callable, Callable]] = {
    "create": ((Category,), lambda db: _names(Category, db),
               lambda db: objects(Unrelated, db).create(name="u")),
    "update": ((Product,), lambda db: _names(Product, db),
               lambda db: objects(Tag, db).update(name="x")),
    "delete": ((Category,), lambda db: _names(Category, db),
               lambda db: objects(Supplier, db).all().delete()),
    "raw_update": ((Category,), lambda db: _names(Category, db),
                   lambda db: cursor(db).execute("UPDATE testapp_unrelated SET name = 'x'")),
    "raw_create_index": ((Category,), lambda db: _names(Category, db), _create_and_drop_index),
    "select_with_trap_literal": ((Category,), lambda db: _names(Category, db),
                                 lambda db: cursor(db).execute(
                                     "SELECT 'DELETE FROM testapp_category' "
                                     "FROM testapp_unrelated")),
    "contains_lookup_read": ((Category,), lambda db: _names(Category, db),
                             lambda db: list(objects(Tag, db).filter(name__contains="\\"))),
    "other_database": ((Category,), lambda db: _names(Category, db),
                       lambda db: objects(Category, "other" if db != "other" else "default")
                       .create(name="elsewhere")),
}


@pytest.mark.parametrize("case", sorted(UNRELATED))
def test_unrelated_write_keeps_entry(probe, db, case):
    deps, read, write = UNRELATED[case]
    _products(db)
    objects(Supplier, db).create(name="s")
    fn = lambda: read(db)  # noqa: E731
    probe.warm(case, fn, deps)
    write(db)
    probe.assert_cached(case, fn, deps)


# --- transactions -----------------------------------------------------------------------------

class Abort(Exception):
    """Raised to roll an atomic block back."""


class Prices:
    """Two products, and the cached list of their prices read through the probe."""

    def __init__(self, probe, db):
        self.probe, self.db = probe, db
        _products(db)

    def read(self):
        return sorted(objects(Product, self.db).values_list("price", flat=True))

    def fresh(self):
        self.probe.assert_fresh("prices", self.read, [Product])

    def in_other_thread(self):
        return _in_thread(lambda: self.probe.read("prices", self.read, [Product]))

    def update(self, **values):
        objects(Product, self.db).update(**values)


@pytest.fixture
def prices(probe, db):
    return Prices(probe, db)


def test_successful_write_atomic(prices, db):
    prices.fresh()
    with transaction.atomic(using=db):
        prices.update(price=5)
        prices.fresh()
    prices.fresh()


def test_unsuccessful_write_atomic(prices, db):
    prices.fresh()
    with pytest.raises(Abort), transaction.atomic(using=db):
        prices.update(price=5)
        prices.fresh()
        raise Abort
    prices.fresh()


def test_cache_inside_atomic_then_write(prices, db):
    with transaction.atomic(using=db):
        prices.fresh()
        prices.update(price=6)
        prices.fresh()
    prices.fresh()


def test_nested_write_atomic(prices, db):
    prices.fresh()
    with transaction.atomic(using=db):
        with transaction.atomic(using=db):
            prices.update(price=7)
        prices.fresh()
    prices.fresh()


def test_unsuccessful_nested_write_atomic(prices, db):
    prices.fresh()
    with transaction.atomic(using=db):
        objects(Product, db).filter(name="p1").update(price=8)
        with pytest.raises(Abort), transaction.atomic(using=db):
            prices.update(price=9)
            prices.fresh()
            raise Abort
        prices.fresh()
    prices.fresh()


def test_select_for_update_then_update(prices, db):
    prices.fresh()
    with transaction.atomic(using=db):
        list(objects(Product, db).select_for_update())
        objects(Product, db).select_for_update().update(price=11)
    prices.fresh()


@pytest.mark.parametrize("end", ["rollback", "commit"])
def test_manual_transaction(prices, db, end):
    prices.fresh()
    conn = connections[db]
    conn.set_autocommit(False)
    try:
        prices.update(price=12)
        prices.fresh()   # this connection sees its write...
        getattr(conn, end)()
    finally:
        conn.set_autocommit(True)
    prices.fresh()       # ...and after a rollback nothing built from it is kept


def test_manual_transaction_left_open_by_a_closed_connection(prices, db):
    if db != "pg":
        pytest.skip("Django ignores close() on an in-memory SQLite database")
    conn = connections[db]
    conn.set_autocommit(False)
    prices.update(price=12)
    conn.close()      # the database rolls the transaction back
    prices.probe.warm("prices", prices.read, [Product])
    prices.probe.assert_cached("prices", prices.read, [Product])   # the cache is used again


# --- other threads during a transaction (PostgreSQL) -----------------------------------------

@pytest.fixture
def pg_prices(prices, db):
    if db != "pg":
        pytest.skip("an in-memory SQLite database locks the table for other connections")
    return prices


@pytest.mark.parametrize("when", ["before_write", "after_write", "both"])
def test_concurrent_caching_during_atomic(pg_prices, when):
    with transaction.atomic(using="pg"):
        if when in ("before_write", "both"):
            assert pg_prices.in_other_thread() == [1, 2]
        pg_prices.update(price=14)
        if when in ("after_write", "both"):
            assert pg_prices.in_other_thread() == [1, 2]
        # read-your-writes: the value another connection cached is not this one's
        pg_prices.fresh()
    assert pg_prices.in_other_thread() == [14, 14]
    pg_prices.fresh()


def test_concurrent_caching_before_atomic(pg_prices):
    assert pg_prices.in_other_thread() == [1, 2]
    with transaction.atomic(using="pg"):
        pg_prices.update(price=15)
        pg_prices.fresh()
    assert pg_prices.in_other_thread() == [15, 15]


# --- statements Django passes on as bytes or psycopg objects (PostgreSQL) ---------------------

def _pg_only(db):
    if db != "pg":
        pytest.skip("sqlite3 takes only str statements")


def test_bytes_statement_write(prices, db):
    _pg_only(db)
    prices.fresh()
    with cursor(db) as cur:
        cur.execute(b"UPDATE testapp_product SET price = 16")
    prices.fresh()


def test_bytes_statement_read(probe, db):
    _pg_only(db)
    _products(db)

    def read():
        with cursor(db) as cur:
            cur.execute(b"SELECT price FROM testapp_product ORDER BY price")
            return [r[0] for r in cur.fetchall()]
    probe.assert_fresh("raw-prices", read, [Product])
    objects(Product, db).update(price=17)
    probe.assert_fresh("raw-prices", read, [Product])


def test_composed_statement_write_and_read(probe, db):
    _pg_only(db)
    from psycopg import sql as pgsql
    _products(db)

    def read():
        with cursor(db) as cur:
            cur.execute(pgsql.SQL("SELECT price FROM {} ORDER BY price").format(
                pgsql.Identifier("testapp_product")))
            return [r[0] for r in cur.fetchall()]
    probe.assert_fresh("raw-prices", read, [Product])
    with cursor(db) as cur:
        cur.execute(pgsql.SQL("UPDATE {} SET price = %s").format(
            pgsql.Identifier("testapp_product")), [18])
    probe.assert_fresh("raw-prices", read, [Product])


def test_copy_from_stdin(probe, db):
    _pg_only(db)
    fn = lambda: _names(Category, db)  # noqa: E731
    probe.assert_fresh("names", fn, [Category])
    with cursor(db) as cur:
        with cur.copy("COPY testapp_category (name) FROM STDIN") as copy:
            copy.write_row(["copied"])
    probe.assert_fresh("names", fn, [Category])


def test_truncate_cascade(probe, db):
    _pg_only(db)
    _setup_reviews(db)
    fn = lambda: _texts(db)  # noqa: E731
    probe.assert_fresh("texts", fn, [Review])
    with cursor(db) as cur:
        cur.execute("TRUNCATE testapp_category CASCADE")   # empties products and reviews too
    probe.assert_fresh("texts", fn, [Review])


# --- a schema-qualified db_table --------------------------------------------------------------

@pytest.fixture
def sales(db):
    if db != "pg":
        pytest.skip("a schema-qualified db_table is a PostgreSQL feature")
    conn = connections[db]
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS sales")
    with conn.schema_editor() as editor:
        editor.create_model(SalesOrder)
    yield db
    with conn.schema_editor() as editor:
        editor.delete_model(SalesOrder)


def _orders(db):
    return sorted(objects(SalesOrder, db).values_list("number", "amount"))


SALES_WRITES: dict[str, Callable] = {
    "save": lambda db: objects(SalesOrder, db).create(number="n2"),
    "update": lambda db: objects(SalesOrder, db).update(amount=5),
    "bulk_create": lambda db: objects(SalesOrder, db).bulk_create([SalesOrder(number="b")]),
    "raw_update": lambda db: cursor(db).execute('UPDATE "sales"."order" SET amount = 6'),
}


@pytest.mark.parametrize("case", sorted(SALES_WRITES))
def test_schema_qualified_table(probe, sales, case):
    db = sales
    objects(SalesOrder, db).create(number="n1")
    fn = lambda: _orders(db)  # noqa: E731
    probe.assert_fresh("orders", fn, [SalesOrder])
    SALES_WRITES[case](db)
    probe.assert_fresh("orders", fn, [SalesOrder])


def test_schema_qualified_table_invalidated_by_hand(probe, sales):
    db = sales
    objects(SalesOrder, db).create(number="n1")
    fn = lambda: _orders(db)  # noqa: E731
    probe.warm("orders", fn, [SalesOrder])
    with djcache_sql_off():
        objects(SalesOrder, db).update(amount=7)
    djcache.invalidate(SalesOrder, using=db)
    probe.assert_fresh("orders", fn, [SalesOrder])


# --- invalidating by hand ---------------------------------------------------------------------

class djcache_sql_off:
    """Writes the wrapper and the signals do not see (as if another service made them)."""

    def __enter__(self):
        from django.test import override_settings
        self._override = override_settings(DJCACHE={**test_settings.DJCACHE,
                                                    "SQL_WRAPPER": False, "SIGNALS": False})
        self._override.enable()
        self._saved = {alias: list(connections[alias].execute_wrappers) for alias in DATABASES}
        for alias in DATABASES:
            connections[alias].execute_wrappers.clear()

    def __exit__(self, *exc):
        for alias, wrappers in self._saved.items():
            connections[alias].execute_wrappers[:] = wrappers
        self._override.disable()


@pytest.mark.parametrize("target", ["model", "label", "table", "app_label", "everything"])
def test_invalidate_by_hand(probe, db, target):
    _products(db)
    fn = lambda: _names(Category, db)  # noqa: E731
    probe.warm("names", fn, [Category])
    with djcache_sql_off():
        objects(Category, db).create(name="unseen")
    assert probe.read("names", fn, [Category]) != fn()   # the write was not seen
    what = {"model": lambda: Category, "label": lambda: "testapp.Category",
            "table": lambda: "testapp_category", "app_label": lambda: "testapp",
            "everything": lambda: djcache.EVERYTHING}[target]
    djcache.invalidate(what(), using=db)
    probe.assert_fresh("names", fn, [Category])


def test_invalidate_everything_in_atomic(probe, db):
    _products(db)
    fn = lambda: _names(Category, db)  # noqa: E731
    with transaction.atomic(using=db):
        probe.assert_fresh("names", fn, [Category])
        with djcache_sql_off():
            objects(Category, db).create(name="unseen")
        djcache.invalidate(djcache.EVERYTHING, using=db)
        probe.assert_fresh("names", fn, [Category])
    probe.assert_fresh("names", fn, [Category])


def test_invalidate_needs_a_target():
    with pytest.raises(TypeError, match="EVERYTHING"):
        djcache.invalidate()


def test_invalidate_unknown_name_says_what_it_takes(db):
    with pytest.raises(LookupError) as info:
        djcache.invalidate("testapp.Categry", using=db)
    message = str(info.value)
    assert "testapp.Category" in message            # the close match
    assert "table" in message and "app label" in message
    with pytest.raises(LookupError, match="testapp_category"):
        djcache.invalidate("testapp_categroy", using=db)


def test_management_command_says_what_it_takes(db):
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="testapp.Category"):
        call_command("djcache", "invalidate", "testapp.Categry", database=db)
    call_command("djcache", "invalidate", "testapp", "*", database=db)
