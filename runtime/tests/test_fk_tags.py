"""Foreign-key tags: ``tagged(Review, product=5)``, ``rows(Review, product=5)`` and ``"auto"``
entries whose SELECTs pin a foreign key. A write that names the values its rows held and
hold in that column invalidates those values' entries and the table-level ones; a write that
cannot name them invalidates every entry on the column. Each case runs on SQLite and, when
``DJCACHE_TEST_PG`` is set, on PostgreSQL, with explicit tags and with ``"auto"``.
"""
import pytest
from django.db import connections, transaction

import djcache
from djcache import rows, tagged, tags
from tests.test_peer_scenarios import DATABASES, db, djcache_sql_off, objects  # noqa: F401
from tests.testapp.models import Category, Product, Review, Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)


class Reviews:
    """Entries on the reviews of product 1, of product 2 (foreign-key tags or "auto") and on
    the whole review table."""

    def __init__(self, db, mode, world):
        self.db, self.mode = db, mode
        self.products = {"p1": world["p1"].pk, "p2": world["p2"].pk}
        self.computed: list[str] = []

    def handle(self, name):
        if self.mode == "auto":
            return tagged("auto")
        if name == "table":
            return tagged(Review, using=self.db)
        return tagged(Review, product=self.products[name], using=self.db)

    def compute(self, name):
        qs = objects(Review, self.db)
        if name == "table":
            return sorted(qs.values_list("product_id", "text"))
        return sorted(qs.filter(product_id=self.products[name]).values_list("text", flat=True))

    def read(self, name):
        def compute():
            self.computed.append(name)
            return self.compute(name)
        return self.handle(name).get_or_set(f"fk:{self.mode}:{name}", compute, 300)

    def warm(self, *names):
        # twice: an "auto" family's first value is stored only when none of its tags was
        # bumped within the last second, which the setup has just done
        for name in names:
            self.read(name)
            self.read(name)
            assert self.read(name) == self.compute(name)
        self.computed.clear()

    def invalidated(self, *names):
        """Read each entry: the value is fresh, and the set of recomputed ones is returned."""
        self.computed.clear()
        for name in names:
            assert self.read(name) == self.compute(name), f"{name}: stale value served"
        return set(self.computed)


@pytest.fixture
def world(db):
    c = objects(Category, db).create(name="c")
    p1 = objects(Product, db).create(name="p1", category=c)
    p2 = objects(Product, db).create(name="p2", category=c)
    r1 = objects(Review, db).create(product=p1, text="r1")
    r2 = objects(Review, db).create(product=p2, text="r2")
    return dict(c=c, p1=p1, p2=p2, r1=r1, r2=r2)


@pytest.fixture(params=["explicit", "auto"])
def reviews(request, db, world):
    r = Reviews(db, request.param, world)
    r.warm(*ALL)
    return r


ALL = ("p1", "p2", "table")


def test_create_invalidates_its_value_and_the_table(reviews, world, db):
    objects(Review, db).create(product=world["p2"], text="new")
    assert reviews.invalidated(*ALL) == {"p2", "table"}
    Review(product_id=world["p1"].pk, text="saved", pk=None).save(using=db)
    assert reviews.invalidated(*ALL) == {"p1", "table"}


def test_bulk_create_with_its_values(reviews, world, db):
    objects(Review, db).bulk_create([Review(product=world["p1"], text="a"),
                                     Review(product=world["p1"], text="b")])
    assert reviews.invalidated(*ALL) == {"p1", "table"}


def test_save_of_an_existing_row_invalidates_every_value(reviews, world):
    # the value the row held before is not in the statement (another process may have
    # changed it since this one loaded it): every entry on the column
    world["r1"].text = "edited"
    world["r1"].save()
    assert reviews.invalidated(*ALL) == set(ALL)
    world["r1"].text = "edited again"
    world["r1"].save(update_fields=["text"])
    assert reviews.invalidated(*ALL) == set(ALL)


def test_save_moving_a_row_to_another_value(reviews, world):
    world["r1"].product = world["p2"]
    world["r1"].save()
    assert reviews.invalidated(*ALL) == set(ALL)


def test_delete_of_an_instance_invalidates_every_value(reviews, world):
    world["r2"].delete()
    assert reviews.invalidated(*ALL) == set(ALL)


def test_update_pinned_by_the_column(reviews, world, db):
    objects(Review, db).filter(product_id=world["p1"].pk).update(text="x")
    assert reviews.invalidated(*ALL) == {"p1", "table"}
    objects(Review, db).filter(product__in=[world["p2"].pk]).update(text="y")
    assert reviews.invalidated(*ALL) == {"p2", "table"}


def test_update_changing_the_column_names_old_and_new(reviews, world, db):
    c = objects(Category, db).create(name="c3")
    p3 = objects(Product, db).create(name="p3", category=c)
    objects(Review, db).filter(product_id=world["p1"].pk).update(product_id=p3.pk)
    assert reviews.invalidated(*ALL) == {"p1", "table"}
    objects(Review, db).filter(product_id=p3.pk).update(product_id=world["p2"].pk)
    assert reviews.invalidated(*ALL) == {"p2", "table"}


def test_update_changing_the_column_of_rows_by_pk_invalidates_every_value(reviews, world, db):
    # the new value is known, the old one is not
    objects(Review, db).filter(pk=world["r1"].pk).update(product_id=world["p2"].pk)
    assert reviews.invalidated(*ALL) == set(ALL)


def test_update_of_rows_by_pk_invalidates_every_value(reviews, world, db):
    objects(Review, db).filter(pk=world["r1"].pk).update(text="z")
    assert reviews.invalidated(*ALL) == set(ALL)


def test_update_to_an_expression_invalidates_every_value(reviews, world, db):
    from django.db.models import F
    objects(Review, db).filter(product_id=world["p1"].pk).update(product_id=F("product_id"))
    assert reviews.invalidated(*ALL) == set(ALL)


def test_other_updates_invalidate_every_value(reviews, db):
    objects(Review, db).update(text="all")
    assert reviews.invalidated(*ALL) == set(ALL)
    objects(Review, db).filter(text="all").update(text="again")
    assert reviews.invalidated(*ALL) == set(ALL)


def test_queryset_delete(reviews, world, db):
    # with djcache's post_delete receiver Django deletes by pk (no fast delete): the values
    # are not in the statement
    objects(Review, db).filter(product_id=world["p1"].pk).delete()
    assert reviews.invalidated(*ALL) == set(ALL)


def test_raw_sql(reviews, world, db):
    with connections[db].cursor() as cursor:
        cursor.execute("DELETE FROM testapp_review WHERE product_id = %s", [world["p1"].pk])
    assert reviews.invalidated(*ALL) == {"p1", "table"}
    with connections[db].cursor() as cursor:
        cursor.execute("INSERT INTO testapp_review (product_id, text) VALUES (%s, 'raw')",
                       [world["p2"].pk])
    assert reviews.invalidated(*ALL) == {"p2", "table"}
    with connections[db].cursor() as cursor:
        cursor.execute("UPDATE testapp_review SET text = 'r' WHERE product_id = %s OR id = %s",
                       [world["p1"].pk, world["r2"].pk])
    assert reviews.invalidated(*ALL) == set(ALL)
    with connections[db].cursor() as cursor:
        cursor.execute("INSERT INTO testapp_review (product_id, text) SELECT product_id, text"
                       " FROM testapp_review WHERE product_id = %s", [world["p2"].pk])
    assert reviews.invalidated(*ALL) == set(ALL)


def test_invalidate_by_hand_reaches_every_value(reviews, db):
    djcache.invalidate(Review, using=db)
    assert reviews.invalidated(*ALL) == set(ALL)


def test_writes_to_other_tables_invalidate_nothing(reviews, world, db):
    objects(Category, db).filter(pk=world["c"].pk).update(name="renamed")
    objects(Product, db).filter(pk=world["p1"].pk).update(price=3)
    world["p2"].save()
    assert reviews.invalidated(*ALL) == set()


def test_uncommitted_write_bypasses_its_value_only(reviews, world, db):
    with transaction.atomic(using=db):
        objects(Review, db).create(product=world["p1"], text="pending")
        assert reviews.invalidated("p1", "p2") == {"p1"}
    assert reviews.invalidated(*ALL) == {"p1", "table"}


def test_rolled_back_write_is_not_served(reviews, world, db):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic(using=db):
        objects(Review, db).create(product=world["p2"], text="gone")
        assert reviews.read("p2") == reviews.compute("p2")
        raise Rollback
    reviews.invalidated(*ALL)   # each value read is the database's


def test_signals_alone(world, db):
    """Writes seen only through signals (no execute wrapper): a create names its values."""
    from django.test import override_settings

    from tests import settings as test_settings
    r = Reviews(db, "explicit", world)
    r.warm(*ALL)
    saved = list(connections[db].execute_wrappers)
    connections[db].execute_wrappers.clear()
    try:
        with override_settings(DJCACHE={**test_settings.DJCACHE, "SQL_WRAPPER": False}):
            objects(Review, db).create(product=world["p1"], text="signal")
            assert r.invalidated(*ALL) == {"p1", "table"}
            world["r2"].save()
            assert r.invalidated(*ALL) == set(ALL)
    finally:
        connections[db].execute_wrappers[:] = saved


def test_unseen_write_is_unseen(world, db):
    """What neither the wrapper nor the signals see stays cached until invalidated by hand
    (the control: the test above would pass vacuously if writes were never cached)."""
    r = Reviews(db, "explicit", world)
    r.warm("p1")
    with djcache_sql_off():
        objects(Review, db).create(product=world["p1"], text="unseen")
    assert r.read("p1") != r.compute("p1")
    djcache.invalidate(Review, using=db)
    assert r.invalidated("p1") == {"p1"}


def test_rows_with_several_models(world, db):
    p1, p2 = world["p1"], world["p2"]

    def detail(p):
        return [objects(Product, db).get(pk=p.pk).price,
                objects(Review, db).filter(product=p).count()]

    handles = {p.pk: tagged(rows(Product, pk=p.pk), rows(Review, product=p.pk), using=db)
               for p in (p1, p2)}
    computed = []

    def read(p):
        def compute():
            computed.append(p.pk)
            return detail(p)
        return handles[p.pk].get_or_set(f"detail:{p.pk}", compute, 300)

    def invalidated():
        computed.clear()
        for p in (p1, p2):
            assert read(p) == detail(p)
        return set(computed)

    invalidated()
    objects(Review, db).create(product=p2, text="new")
    assert invalidated() == {p2.pk}
    objects(Product, db).filter(pk=p1.pk).update(price=5)
    assert invalidated() == {p1.pk}
    objects(Category, db).update(name="renamed")
    assert invalidated() == set()


def test_foreign_key_of_another_model(world, db):
    """``tagged(Product, category=c)``: a product saved in another category leaves it alone;
    an m2m change of one of its products reaches it (an entry on a model covers its m2m)."""
    c2 = objects(Category, db).create(name="c2")
    t = objects(Tag, db).create(name="t")
    by_category = lambda c: lambda: sorted(   # noqa: E731
        objects(Product, db).filter(category=c).values_list("name", flat=True))
    h1, h2 = tagged(Product, category=world["c"], using=db), tagged(Product, category=c2, using=db)
    h1.set("c1", by_category(world["c"])(), 300)
    h2.set("c2", by_category(c2)(), 300)
    objects(Product, db).create(name="p3", category=c2)
    assert h1.get("c1") == by_category(world["c"])() and h2.get("c2") is None
    h2.set("c2", by_category(c2)(), 300)
    world["p1"].tags.add(t)
    assert h1.get("c1") is None and h2.get("c2") is None


def test_auto_records_foreign_key_tags(world, db):
    p1 = world["p1"]
    fn = lambda: objects(Review, db).filter(product_id=p1.pk).count()   # noqa: E731
    for _ in range(2):   # the first value follows the setup's writes too closely to be stored
        tagged("auto").get_or_set("auto:count", fn)
    from django.core.cache import caches
    entry = caches["default"].get(tags.entry_key("auto:count"))
    recorded = {k.rsplit(":", 1)[-1] for k in entry[1]}
    assert {"testapp.review@product_id#*", f"testapp.review@product_id#{p1.pk}"} <= recorded
    assert "testapp.review" not in recorded


def test_tagged_arguments(world):
    p1 = world["p1"]
    assert tagged(Review, product=p1).pairs == tagged(Review, product_id=p1.pk).pairs \
        == tagged("testapp.Review", product=str(p1.pk)).pairs
    assert "product=" in repr(rows(Review, product=3))
    with pytest.raises(TypeError, match="not a foreign key"):
        tagged(Review, text="x")
    with pytest.raises(TypeError, match="not a foreign key"):
        rows(Review, id=1)
    with pytest.raises(TypeError):
        tagged(Review, Product, product=1)
    with pytest.raises(TypeError):
        rows(Review, pk=1, product=1)
    with pytest.raises(TypeError):
        rows(Review)
    with pytest.raises(TypeError, match="not a value"):
        tags.resolve_deps([rows(Review, product="not a number")])


def test_dependencies_added_during_the_computation(world, db):
    """``add_dependencies``: the detail of a product learns its category's row only once it
    has read the product; a rename of that category invalidates it, of another does not."""
    p1, c = world["p1"], world["c"]
    other = objects(Category, db).create(name="other")
    computed = []

    def detail():
        computed.append(1)
        p = objects(Product, db).select_related("category").get(pk=p1.pk)
        djcache.add_dependencies(rows(Category, pk=p.category_id), using=db)
        return [p.name, p.category.name]

    def read():
        return tagged(rows(Product, pk=p1.pk), using=db).get_or_set("detail", detail, 300)

    def fresh():
        p = objects(Product, db).select_related("category").get(pk=p1.pk)
        return [p.name, p.category.name]

    read()
    read()   # the first value followed the category's creation too closely to be stored
    computed.clear()
    assert read() == fresh() and computed == []
    objects(Category, db).filter(pk=other.pk).update(name="renamed other")
    assert read() == fresh() and computed == []
    objects(Category, db).filter(pk=c.pk).update(name="renamed")
    assert read() == fresh() and computed == [1]
    read()
    computed.clear()
    with transaction.atomic(using=db):   # this thread's uncommitted rename: not served
        objects(Category, db).filter(pk=c.pk).update(name="pending")
        assert read() == fresh() == ["p1", "pending"]
    assert read() == fresh()
    from django.core.cache import caches
    entry = caches["default"].get(tags.entry_key("detail"))
    assert {k.rsplit(":", 1)[-1] for k in entry[1]} >= {f"testapp.category#{c.pk}"}


def test_add_dependencies_outside_a_computation_does_nothing(world, db):
    djcache.add_dependencies(rows(Category, pk=world["c"].pk), using=db)
    h = tagged(Review, using=db)
    h.set("k", 1, 300)
    objects(Category, db).update(name="x")
    assert h.get("k") == 1


def test_add_dependencies_in_an_auto_computation(world, db):
    c = world["c"]

    def count():
        djcache.add_dependencies(rows(Category, pk=c.pk), using=db)
        return objects(Review, db).count()

    for _ in range(2):   # the first value follows the setup's writes too closely to be stored
        tagged("auto").get_or_set("auto:added", count)
    from django.core.cache import caches
    entry = caches["default"].get(tags.entry_key("auto:added"))
    recorded = {k.rsplit(":", 1)[-1] for k in entry[1]}
    assert {f"testapp.category#{c.pk}", "testapp.review"} <= recorded
    objects(Category, db).filter(pk=c.pk).update(name="renamed")
    assert tagged("auto").get_or_set("auto:added", lambda: "recomputed") == "recomputed"
