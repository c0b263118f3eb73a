"""The core behaviour on every cache backend CI has (servers come from ci.sh)."""
import pytest
from django.core.cache import caches

from djcache import tagged
from tests.conftest import need
from tests.testapp.models import Category, Product, Tag

BACKENDS = {
    "locmem": None,
    "db": None,
    "file": None,
    "redis": "DJCACHE_TEST_REDIS",
    "django_redis": "DJCACHE_TEST_REDIS",
    "memcached": "DJCACHE_TEST_MEMCACHED",
    "cluster": "DJCACHE_TEST_CLUSTER",
}


@pytest.fixture(params=list(BACKENDS))
def backend_alias(request, use_cache):
    env = BACKENDS[request.param]
    if env:
        need(env)
    use_cache(request.param)
    return request.param


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_backend_roundtrip(backend_alias):
    c = Category.objects.create(name="c")
    Product.objects.create(name="p", category=c)
    calls = []

    def names():
        calls.append(1)
        return sorted(Product.objects.values_list("name", flat=True))

    h = tagged(Product, Category)
    assert h.get_or_set("products:all", names, 300) == ["p"]
    assert h.get_or_set("products:all", names, 300) == ["p"]
    assert len(calls) == 1
    # the value and the tag versions really live in this backend
    cache = caches[backend_alias]
    assert cache.get("djc:e:products:all") is not None
    assert cache.get("djc:t:default:testapp.product") is not None
    # unrelated write: still a hit
    Tag.objects.create(name="t")
    assert h.get_or_set("products:all", names, 300) == ["p"]
    assert len(calls) == 1
    # signal-less write
    Product.objects.update(name="q")
    assert h.get_or_set("products:all", names, 300) == ["q"]
    assert len(calls) == 2
    # save() and a label-based handle
    c.name = "c2"
    c.save()
    assert tagged("testapp.Category").get("products:all") is None
    assert h.get_or_set("products:all", names, 300) == ["q"]
    assert len(calls) == 3
    # set/get/delete with many keys of one family
    for i in range(20):
        tagged("testapp.Product").set(f"product:{i}", i, 300)
    assert [tagged("testapp.Product").get(f"product:{i}") for i in range(20)] == list(range(20))
    tagged("testapp.Product").delete("product:3")
    assert tagged("testapp.Product").get("product:3") is None
    Product.objects.create(name="new", category=c)
    assert all(tagged("testapp.Product").get(f"product:{i}") is None for i in range(20))


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_backend_auto_and_tags_in_other_alias(backend_alias, settings):
    settings.DJCACHE = {"CACHE": "locmem", "TAGS_CACHE": backend_alias,
                        "STATS_FLUSH_INTERVAL": 3600}
    caches["locmem"].clear()
    Category.objects.create(name="a")
    h = tagged("auto")
    compute = lambda: list(Category.objects.values_list("name", flat=True))
    h.get_or_set("cats", compute)
    h.get_or_set("cats", compute)
    assert caches[backend_alias].get("djc:t:default:testapp.category") is not None
    assert caches["locmem"].get("djc:e:cats") is not None
    assert h.get_or_set("cats", compute) == ["a"]
    Category.objects.create(name="b")
    assert h.get_or_set("cats", compute) == ["a", "b"]
