"""Every write path invalidates exactly the dependent entries and no others (locmem, SQLite)."""
import pytest
from django.db import connection, transaction

from djcache import tagged
from tests.testapp.models import (Category, Place, Product, Restaurant, Review, Supplier, Supply,
                                  Tag, Unrelated)

MISSING = object()

HANDLES = {
    "cat": lambda: tagged(Category),
    "prod": lambda: tagged("testapp.Product"),
    "prod+cat": lambda: tagged(Product, "testapp.Category"),
    "tag": lambda: tagged(Tag),
    "sup": lambda: tagged(Supplier),
    "supply": lambda: tagged(Supply),
    "review": lambda: tagged(Review),
    "place": lambda: tagged(Place),
    "rest": lambda: tagged(Restaurant),
    "unrelated": lambda: tagged(Unrelated),
}


class Probe:
    def __init__(self):
        self.handles = {name: make() for name, make in HANDLES.items()}

    def warm(self):
        for name, h in self.handles.items():
            assert h.get_or_set(f"probe:{name}", lambda: "value", 300) == "value"
        assert self.invalidated() == set()

    def invalidated(self):
        return {name for name, h in self.handles.items()
                if h.get(f"probe:{name}", MISSING) is MISSING}


@pytest.fixture
def world(db):
    c1 = Category.objects.create(name="c1")
    c2 = Category.objects.create(name="c2")
    t1 = Tag.objects.create(name="t1")
    t2 = Tag.objects.create(name="t2")
    s1 = Supplier.objects.create(name="s1")
    p1 = Product.objects.create(name="p1", category=c1)
    p2 = Product.objects.create(name="p2", category=c2)
    p1.tags.add(t1)
    Supply.objects.create(product=p1, supplier=s1)
    Review.objects.create(product=p1, text="good")
    r = Restaurant.objects.create(name="r1")
    Place.objects.create(name="pl")
    Unrelated.objects.create(name="u")
    return dict(c1=c1, c2=c2, t1=t1, t2=t2, s1=s1, p1=p1, p2=p2, r=r)


@pytest.fixture
def probe(world):
    p = Probe()
    p.warm()
    return p


pytestmark = pytest.mark.django_db(transaction=True)


def test_save_update(world, probe):
    world["c1"].name = "x"
    world["c1"].save()
    assert probe.invalidated() == {"cat", "prod+cat"}


def test_create(world, probe):
    Unrelated.objects.create(name="new")
    assert probe.invalidated() == {"unrelated"}


def test_delete_simple(world, probe):
    Unrelated.objects.get().delete()
    assert probe.invalidated() == {"unrelated"}


def test_cascade_delete(world, probe):
    world["c1"].delete()  # -> p1 -> its review, its tag link, its supply row
    assert probe.invalidated() == {"cat", "prod", "prod+cat", "review", "tag", "supply", "sup"}


def test_cascade_delete_without_dependents(world, probe):
    world["c2"].delete()  # -> p2 which has no review, tags or supply rows
    assert probe.invalidated() == {"cat", "prod", "prod+cat"}


def test_queryset_update(world, probe):
    n = Product.objects.filter(pk=world["p2"].pk).update(price=5)
    assert n == 1
    assert probe.invalidated() == {"prod", "prod+cat"}


def test_update_touching_no_rows_invalidates_nothing(world, probe):
    assert Product.objects.filter(pk=-1).update(price=5) == 0
    assert probe.invalidated() == set()


def test_bulk_create(world, probe):
    Tag.objects.bulk_create([Tag(name="a"), Tag(name="b")])
    assert probe.invalidated() == {"tag"}


def test_bulk_update(world, probe):
    p1, p2 = world["p1"], world["p2"]
    p1.price, p2.price = 3, 4
    Product.objects.bulk_update([p1, p2], ["price"])
    assert probe.invalidated() == {"prod", "prod+cat"}


def test_queryset_delete(world, probe):
    Review.objects.all().delete()
    assert probe.invalidated() == {"review"}


def test_raw_sql_write(world, probe):
    with connection.cursor() as cur:
        cur.execute('UPDATE "testapp_category" SET "name" = %s', ["raw"])
    assert probe.invalidated() == {"cat", "prod+cat"}


def test_raw_sql_read_with_trap_column_invalidates_nothing(world, probe):
    with connection.cursor() as cur:
        cur.execute('SELECT "updated_at", \'UPDATE testapp_tag SET x\' FROM "testapp_product" '
                    "WHERE updated_at IS NOT NULL")
        cur.fetchall()
    list(Product.objects.filter(updated_at__isnull=False))
    assert probe.invalidated() == set()


@pytest.mark.parametrize("op", ["add", "remove", "clear", "set"])
def test_m2m(world, probe, op):
    p1, t1, t2 = world["p1"], world["t1"], world["t2"]
    {"add": lambda: p1.tags.add(t2), "remove": lambda: p1.tags.remove(t1),
     "clear": lambda: p1.tags.clear(), "set": lambda: p1.tags.set([t2])}[op]()
    assert probe.invalidated() == {"prod", "prod+cat", "tag"}


def test_m2m_reverse_side(world, probe):
    world["t2"].products.add(world["p2"])
    assert probe.invalidated() == {"prod", "prod+cat", "tag"}


def test_through_model_create(world, probe):
    Supply.objects.create(product=world["p2"], supplier=world["s1"])
    assert probe.invalidated() == {"supply", "prod", "prod+cat", "sup"}


def test_mti_child_save(world, probe):
    r = world["r"]
    r.name = "renamed"
    r.save()
    assert probe.invalidated() == {"place", "rest"}


def test_mti_parent_table_update_reaches_child_entries(world, probe):
    Place.objects.filter(pk=world["r"].pk).update(name="p")
    assert probe.invalidated() == {"place", "rest"}


def test_mti_child_only_field(world, probe):
    Restaurant.objects.update(serves_pizza=True)
    assert probe.invalidated() == {"rest"}


def test_select_related_auto_dependencies(world):
    calls = []

    def compute():
        calls.append(1)
        products = Product.objects.select_related("category").order_by("pk")
        return [(p.name, p.category.name) for p in products]

    h = tagged("auto")
    first = h.get_or_set("auto:products", compute, 300)
    assert first == [("p1", "c1"), ("p2", "c2")]
    # The very first computation of an auto family learns its tables; when one of them was
    # written less than CLOCK_SKEW seconds before, that first value is not stored.
    h.get_or_set("auto:products", compute, 300)
    base = len(calls)
    assert base in (1, 2)
    assert h.get_or_set("auto:products", compute, 300) == first and len(calls) == base
    Tag.objects.create(name="unrelated to this entry")
    assert h.get_or_set("auto:products", compute, 300) == first and len(calls) == base
    Category.objects.filter(pk=world["c1"].pk).update(name="C1")
    assert h.get_or_set("auto:products", compute, 300)[0] == ("p1", "C1")
    assert len(calls) == base + 1
    assert h.get_or_set("auto:products", compute, 300)[0] == ("p1", "C1")
    assert len(calls) == base + 1


def test_explicit_select_related_entry(world):
    h = tagged(Product, Category)
    compute = lambda: [p.category.name for p in Product.objects.select_related("category")]
    assert h.get_or_set("sr", compute) == ["c1", "c2"]
    Category.objects.filter(name="c2").update(name="C2")
    assert h.get_or_set("sr", compute) == ["c1", "C2"]


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_multiple_databases_are_separate(world):
    Category.objects.using("other").create(name="o")
    h_default = tagged(Category)
    h_other = tagged(Category, using="other")
    h_default.set("k", "d")
    h_other.set("k2", "o")
    Category.objects.using("other").update(name="o2")
    assert h_default.get("k") == "d"
    assert h_other.get("k2") is None


def test_transaction_commit(world):
    import threading
    h = tagged(Category)
    h.set("before", "old")
    with transaction.atomic():
        Category.objects.filter(pk=world["c1"].pk).update(name="new")
        assert h.get("before") is None            # bumped at write time
        # another thread caches old data during the open transaction
        t = threading.Thread(target=lambda: h.set("during", "old-from-other-thread"))
        t.start()
        t.join()
        # this thread has uncommitted writes: the cache is bypassed
        assert h.get_or_set("mine", lambda: "computed-inside") == "computed-inside"
        assert h.get("mine") is None
        seen = []
        t = threading.Thread(target=lambda: seen.append(h.get("during")))
        t.start()
        t.join()
        assert seen == ["old-from-other-thread"]
    # the commit bump invalidates what was cached from old rows during the transaction
    assert h.get("during") is None
    assert h.get_or_set("after", lambda: Category.objects.get(pk=world["c1"].pk).name) == "new"
    assert h.get("after") == "new"


def test_transaction_rollback(world):
    h = tagged(Category)
    h.set("before", "c1")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            Category.objects.filter(pk=world["c1"].pk).update(name="rolled back")
            raise RuntimeError
    assert h.get("before") is None  # one extra miss
    name = lambda: Category.objects.get(pk=world["c1"].pk).name
    assert h.get_or_set("after", name) == "c1"
    assert h.get("after") == "c1"  # nothing else pending: stays cached


def test_savepoint_rollback_then_write(world):
    h = tagged(Category)
    t = tagged(Tag)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Category.objects.update(name="x")
                raise RuntimeError
        except RuntimeError:
            pass
        Tag.objects.create(name="outer")
        t.set("after-savepoint", "v") or None
        h.set("cat-after-savepoint", "v")
    # Tag write committed: its commit bump ran; the category savepoint was rolled back
    assert t.get("after-savepoint") is None
    assert h.get("cat-after-savepoint") == "v"


def test_nested_atomic_commit(world):
    h = tagged(Tag)
    with transaction.atomic():
        with transaction.atomic():
            Tag.objects.create(name="inner")
        import threading
        th = threading.Thread(target=lambda: h.set("during", "stale"))
        th.start()
        th.join()
    assert h.get("during") is None


def test_manual_invalidate(world):
    import djcache
    h = tagged(Category)
    h.set("k", 1)
    djcache.invalidate("testapp.Category")
    assert h.get("k") is None


def test_delete_key(world):
    h = tagged(Category)
    h.set("k", 1)
    assert h.get("k") == 1
    h.delete("k")
    assert h.get("k") is None


def test_schema_qualified_table_maps_to_its_model():
    from djcache import tags
    from tests.testapp.models import SalesOrder
    assert tags.table_key('"sales"."order"') == "order"
    assert tags.models_of_table('"sales"."order"') == [SalesOrder]
    assert tags.models_of_table("sales.order") == [SalesOrder]
    # rows not named: the model and every row of it
    assert tags.write_tags_for_table("order") == {"testapp.salesorder", "testapp.salesorder#*"}


def test_truncate_cascade_reaches_every_referencing_model():
    from djcache import tags
    reached = tags.cascade_tags_for_table("testapp_category")
    assert {"testapp.product", "testapp.review", "testapp.supply",
            "testapp.product_tags"} <= reached
    assert "testapp.category" not in reached and "testapp.unrelated" not in reached
    assert tags.cascade_tags_for_table("testapp_unrelated") == set()
