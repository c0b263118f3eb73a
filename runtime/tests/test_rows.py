"""Row tags: ``tagged(product)``, ``tagged(Product, pk=42)`` and ``"auto"`` entries whose
SELECTs pin primary keys. A write that names its rows invalidates those rows' entries and the
table-level ones; a write whose rows are not known invalidates every entry of the table.
Each case runs on SQLite and, when ``DJCACHE_TEST_PG`` is set, on PostgreSQL, with explicit
row tags and with ``"auto"``.
"""
import uuid

import pytest
from django.db import connections, models, transaction

import djcache
from djcache import tagged, tags
from tests.test_backends import backend_alias  # noqa: F401 - a fixture
from tests.test_peer_scenarios import DATABASES, db, objects  # noqa: F401 - db is a fixture
from tests.testapp.models import Category, Place, Product, Restaurant, Review, Tag, Unrelated

pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)


class Rows:
    """Entries on product 1, product 2 (row tags or "auto") and on the whole product table."""

    def __init__(self, db, mode, world):
        self.db, self.mode, self.world = db, mode, world
        self.pks = {"row1": world["p1"].pk, "row2": world["p2"].pk}
        # its own copy: a test that deletes product 1 leaves world["p1"] without a pk
        self.p1 = objects(Product, db).get(pk=world["p1"].pk)
        self.computed: list[str] = []

    def handle(self, name):
        if self.mode == "auto":
            return tagged("auto")
        if name == "table":
            return tagged(Product, using=self.db)
        if name == "row1":
            return tagged(self.p1, using=self.db)
        if name.startswith("pk"):
            return tagged(Product, pk=int(name[2:]), using=self.db)
        return tagged(Product, pk=self.pks["row2"], using=self.db)

    def compute(self, name):
        qs = objects(Product, self.db)
        if name == "table":
            return sorted(qs.values_list("name", "price"))
        pk = self.pks.get(name) or int(name[2:])
        row = qs.filter(pk=pk).first()
        if row is None:
            return None
        return row.name, row.price, sorted(t.name for t in row.tags.all())

    def read(self, name):
        def compute():
            self.computed.append(name)
            return self.compute(name)
        return self.handle(name).get_or_set(f"rows:{self.mode}:{name}", compute, 300)

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
    t1 = objects(Tag, db).create(name="t1")
    p1 = objects(Product, db).create(name="p1", category=c)
    p2 = objects(Product, db).create(name="p2", category=c)
    objects(Review, db).create(product=p1, text="r")
    return dict(c=c, t1=t1, p1=p1, p2=p2)


@pytest.fixture(params=["explicit", "auto"])
def rows(request, db, world):
    r = Rows(db, request.param, world)
    r.warm("row1", "row2", "table")
    return r


ALL = ("row1", "row2", "table")


def test_save_invalidates_its_row_and_the_table(rows, world):
    world["p1"].price = 7
    world["p1"].save()
    assert rows.invalidated(*ALL) == {"row1", "table"}


def test_delete_invalidates_its_row_and_the_table(rows, world):
    world["p1"].delete()
    assert rows.invalidated(*ALL) == {"row1", "table"}


def test_update_pinned_by_pk(rows, world, db):
    objects(Product, db).filter(pk=world["p2"].pk).update(price=3)
    assert rows.invalidated(*ALL) == {"row2", "table"}
    objects(Product, db).filter(pk__in=[world["p1"].pk]).update(price=4)
    assert rows.invalidated(*ALL) == {"row1", "table"}


def test_queryset_delete_pinned_by_pk(rows, world, db):
    objects(Product, db).filter(pk=world["p2"].pk).delete()
    assert rows.invalidated(*ALL) == {"row2", "table"}


def test_bulk_update_names_its_rows(rows, world, db):
    world["p1"].price = 9
    objects(Product, db).bulk_update([world["p1"]], ["price"])
    assert rows.invalidated(*ALL) == {"row1", "table"}


def test_update_whose_rows_are_unknown_invalidates_every_row(rows, db):
    objects(Product, db).filter(price=0).update(price=1)
    assert rows.invalidated(*ALL) == set(ALL)


def test_bulk_create_invalidates_every_row(rows, world, db):
    objects(Product, db).bulk_create([Product(name="p3", category=world["c"])])
    assert rows.invalidated(*ALL) == set(ALL)


def test_raw_sql(rows, world, db):
    with connections[db].cursor() as cursor:
        cursor.execute("UPDATE testapp_product SET price = 5 WHERE id = %s", [world["p1"].pk])
    assert rows.invalidated(*ALL) == {"row1", "table"}
    with connections[db].cursor() as cursor:
        cursor.execute("UPDATE testapp_product SET price = 6 WHERE price = 0")
    assert rows.invalidated(*ALL) == set(ALL)


def test_m2m_on_one_row(rows, world):
    # an "auto" row entry also read the tag table (joined, rows unknown), and an m2m change
    # writes to it: entries on the whole tag table are invalidated
    joined = {"row1", "row2"} if rows.mode == "auto" else set()
    world["p1"].tags.add(world["t1"])
    assert rows.invalidated(*ALL) == {"row1", "table"} | joined
    world["t1"].products.add(world["p2"])    # the reverse side names product 2
    assert rows.invalidated(*ALL) == {"row2", "table"} | joined
    world["p1"].tags.clear()
    assert rows.invalidated(*ALL) == {"row1", "table"} | joined


def test_auto_m2m_read_by_one_side_depends_on_that_row(db, world):
    p1, p2, t1 = world["p1"], world["p2"], world["t1"]
    through = objects(Product.tags.through, db)
    tag_ids = lambda p: lambda: sorted(   # the through table only, by product: no join
        through.filter(product_id=p.pk).values_list("tag_id", flat=True))
    for key, p in (("ids:1", p1), ("ids:2", p2)):
        for _ in range(2):   # the first value follows the setup's writes too closely to store
            tagged("auto").get_or_set(key, tag_ids(p))
    p2.tags.add(t1)
    from django.core.cache import caches
    assert caches["default"].get(tags.entry_key("ids:1")) is not None
    assert tagged("auto").get_or_set("ids:1", lambda: "recomputed") == []
    assert tagged("auto").get_or_set("ids:2", tag_ids(p2)) == [t1.pk]


def test_m2m_clear_from_the_other_side_invalidates_every_row(rows, world):
    world["p1"].tags.add(world["t1"])
    rows.invalidated(*ALL)
    world["t1"].products.clear()              # the products it removes are not named
    assert rows.invalidated(*ALL) == set(ALL)


def test_create_invalidates_the_table_and_the_new_row_only(rows, world, db):
    made = objects(Product, db).create(name="probe", category=world["c"])
    assert rows.invalidated(*ALL) == {"table"}
    # an entry that found no row for the next primary key: creating that row invalidates it
    next_pk = f"pk{made.pk + 1}"
    rows.warm(next_pk)
    assert rows.read(next_pk) is None
    objects(Product, db).create(name="p-next", category=world["c"])
    assert rows.invalidated(next_pk, *ALL) == {next_pk, "table"}


def test_create_with_explicit_pk(rows, world, db):
    rows.warm("pk9000")
    objects(Product, db).create(pk=9000, name="explicit", category=world["c"])
    assert rows.invalidated("pk9000", *ALL) == {"pk9000", "table"}


def test_invalidate_by_hand_reaches_every_row(rows, db):
    djcache.invalidate(Product, using=db)
    assert rows.invalidated(*ALL) == set(ALL)


def test_unrelated_write_invalidates_nothing(rows, db):
    objects(Unrelated, db).create(name="u")
    objects(Category, db).create(name="other")
    assert rows.invalidated(*ALL) == set()


def test_uncommitted_write_to_one_row_bypasses_that_row_only(rows, world, db):
    with transaction.atomic(using=db):
        objects(Product, db).filter(pk=world["p1"].pk).update(price=11)
        assert rows.invalidated("row1", "row2") == {"row1"}
    assert rows.invalidated(*ALL) == {"row1", "table"}


def test_mti_parent_row_write_reaches_the_child_row(db):
    r1 = objects(Restaurant, db).create(name="r1")
    r2 = objects(Restaurant, db).create(name="r2")
    h1, h2 = tagged(r1, using=db), tagged(Restaurant, pk=r2.pk, using=db)
    h1.set("r1", "v")
    h2.set("r2", "v")
    objects(Place, db).filter(pk=r1.pk).update(name="renamed")
    assert h1.get("r1") is None and h2.get("r2") == "v"


def test_auto_records_row_tags_for_pinned_selects(db, world):
    p1 = world["p1"]
    for _ in range(2):   # the first value follows the setup's writes too closely to be stored
        tagged("auto").get_or_set("auto:one", lambda: objects(Product, db).get(pk=p1.pk).name)
    from django.core.cache import caches
    entry = caches["default"].get(tags.entry_key("auto:one"))
    recorded = {k.rsplit(":", 1)[-1] for k in entry[1]}
    assert {"testapp.product#*", f"testapp.product#{p1.pk}"} <= recorded
    assert "testapp.product" not in recorded


def test_tagged_arguments():
    with pytest.raises(TypeError):
        tagged(Product, Category, pk=1)
    with pytest.raises(TypeError):
        tagged(Product(name="unsaved"))
    assert "pk=3" in repr(tagged(Product, pk=3))


def test_pk_text_reads_every_spelling_of_a_key():
    uuid_field = models.UUIDField()
    u = uuid.uuid4()
    assert tags.pk_text(uuid_field, u.hex) == tags.pk_text(uuid_field, str(u))
    assert tags.pk_text(Product._meta.pk, "42") == tags.pk_text(Product._meta.pk, 42) == "42"
    assert tags.pk_text(Product._meta.pk, None) is None
    assert tags.pk_text(Product._meta.pk, "not a number") is None
    long_text = tags.pk_text(models.CharField(), "x y" * 50)
    assert long_text.startswith("h") and " " not in long_text


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_row_tags_on_every_backend(backend_alias):
    c = Category.objects.create(name="c")
    p1 = Product.objects.create(name="p1", category=c)
    p2 = Product.objects.create(name="p2", category=c)
    tagged(p1).set("one", 1, 300)
    tagged(p2).set("two", 2, 300)
    tagged(Product).set("all", 3, 300)
    p1.save()
    assert tagged(p1).get("one") is None
    assert tagged(p2).get("two") == 2
    assert tagged(Product).get("all") is None
    Product.objects.update(price=1)
    assert tagged(p2).get("two") is None
