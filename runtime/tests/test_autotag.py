"""Zero-code mode: ``DJCACHE = {"AUTO_TAG": [...]}`` and Django's own cache API.

Values stored through ``cache.get_or_set``, ``get`` then ``set``, ``cache_page`` (decorator and
middleware) and ``{% cache %}`` on those aliases are invalidated by writes to what their
computation read; values that read nothing are stored as they are.
"""
import pytest
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client
from django.urls import path
from django.views.decorators.cache import cache_page

from djcache import autotag, core, tags
from tests import settings as test_settings
from tests.conftest import need
from tests.testapp.models import Category, Product, Unrelated

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

COMPUTED: list[str] = []


def _drop_connections(*aliases):
    for alias in aliases:
        try:
            delattr(caches._connections, alias)
        except AttributeError:
            pass


@pytest.fixture
def zero(settings, monkeypatch):
    """AUTO_TAG on "zero" and "template_fragments"; returns the wrapped "zero" cache."""
    return _zero_on(settings, monkeypatch, "zero", "template_fragments")


def _zero_on(settings, monkeypatch, *aliases, **extra):
    settings.DJCACHE = {**test_settings.DJCACHE, "AUTO_TAG": list(aliases), **extra}
    # one process, one clock: no skew to allow for between a bump and a computation's start
    monkeypatch.setattr(core, "CLOCK_SKEW", 0.0)
    _drop_connections(*aliases)
    for alias in aliases:
        caches[alias].clear()
    autotag.reset_thread_reads()
    COMPUTED.clear()
    yield_cache = caches[aliases[0]]
    assert isinstance(yield_cache, autotag.AutoTagCache)
    return yield_cache


@pytest.fixture(autouse=True)
def _unwrap_after():
    yield
    autotag.reset_thread_reads()
    _drop_connections("zero", "template_fragments", "redis", "memcached", "cluster")


def category_names():
    COMPUTED.append("names")
    return sorted(Category.objects.values_list("name", flat=True))


def test_get_or_set_is_tagged_with_what_it_read(zero):
    Category.objects.create(name="a")
    assert zero.get_or_set("names", category_names, 300) == ["a"]
    assert zero.get_or_set("names", category_names, 300) == ["a"]
    assert COMPUTED == ["names"]
    Unrelated.objects.create(name="u")
    assert zero.get_or_set("names", category_names, 300) == ["a"]
    Category.objects.create(name="b")
    assert zero.get_or_set("names", category_names, 300) == ["a", "b"]
    assert COMPUTED == ["names", "names"]


def test_get_or_set_of_one_row_ignores_other_rows(zero):
    c = Category.objects.create(name="c")
    p1 = Product.objects.create(name="p1", category=c)
    p2 = Product.objects.create(name="p2", category=c)
    name = lambda: COMPUTED.append("p1") or Product.objects.get(pk=p1.pk).name
    assert zero.get_or_set(f"product:{p1.pk}", name, 300) == "p1"
    p2.name = "renamed"
    p2.save()
    assert zero.get_or_set(f"product:{p1.pk}", name, 300) == "p1"
    assert COMPUTED == ["p1"]
    Product.objects.filter(pk=p1.pk).update(name="p1b")
    assert zero.get_or_set(f"product:{p1.pk}", name, 300) == "p1b"


def test_get_miss_compute_set(zero):
    Category.objects.create(name="a")

    def cached_names():
        value = zero.get("names")
        if value is None:
            value = category_names()
            zero.set("names", value, 300)
        return value

    assert cached_names() == ["a"]
    assert cached_names() == ["a"]
    assert COMPUTED == ["names"]
    Category.objects.create(name="b")
    assert cached_names() == ["a", "b"]


def test_set_without_a_miss_is_tagged_with_everything_read_so_far(zero):
    Category.objects.create(name="a")
    autotag.reset_thread_reads()               # a request starts
    names = category_names()
    list(Unrelated.objects.all())
    zero.set("names", names, 300)              # no get before it
    assert zero.get("names") == ["a"]
    Unrelated.objects.create(name="u")         # read earlier in the request: over-invalidated
    assert zero.get("names") is None


def test_a_write_during_the_computation_keeps_the_value_out(zero):
    Category.objects.create(name="a")

    def names_then_write():
        value = category_names()
        Category.objects.create(name="late")
        return value

    assert zero.get_or_set("names", names_then_write, 300) == ["a"]
    assert zero.get_or_set("names", category_names, 300) == ["a", "late"]


def test_values_that_read_nothing_are_stored_as_they_are(zero):
    Category.objects.create(name="a")
    list(Category.objects.all())               # the request read something
    zero.set("plain", {"x": 1}, 300)
    zero.add("hits", 0, 300)                   # a counter set without a miss stays a number
    assert zero.incr("hits") == 1
    assert zero.get_or_set("constant", 5) == 5
    assert zero._cache.get("constant") == 5
    Category.objects.create(name="b")
    assert zero.get("hits") == 1 and zero.get("constant") == 5
    autotag.reset_thread_reads()
    zero.set("fresh", "v", 300)                # nothing read since the request began
    assert zero._cache.get("fresh") == "v"


def test_get_many_and_has_key_see_through_tags(zero):
    Category.objects.create(name="a")
    zero.get_or_set("names", category_names, 300)
    zero.set("plain", 1, 300)
    assert zero.get_many(["names", "plain", "absent"]) == {"names": ["a"], "plain": 1}
    assert zero.has_key("names") and "names" in zero
    Category.objects.create(name="b")
    assert zero.get_many(["names", "plain"]) == {"plain": 1}
    assert not zero.has_key("names")


def test_uncommitted_writes_are_not_cached_or_served(zero):
    Category.objects.create(name="a")
    zero.get_or_set("names", category_names, 300)
    with transaction.atomic():
        Category.objects.create(name="b")
        assert zero.get("names") is None
        assert zero.get_or_set("names", category_names, 300) == ["a", "b"]
    assert zero.get_or_set("names", category_names, 300) == ["a", "b"]


def test_other_aliases_are_untouched(zero):
    assert not isinstance(caches["locmem"], autotag.AutoTagCache)


def test_turned_off_by_settings_the_wrapper_passes_through(zero, settings):
    settings.DJCACHE = test_settings.DJCACHE
    Category.objects.create(name="a")
    zero.get_or_set("names", category_names, 300)
    assert zero._cache.get("names") == ["a"]


# --- views and templates ------------------------------------------------------------------

@cache_page(60, cache="zero")
def names_page(request):
    return HttpResponse(",".join(category_names()))


def plain_names(request):
    return HttpResponse(",".join(category_names()))


urlpatterns = [path("names/", names_page), path("plain/", plain_names)]


def _served(client, url):
    before = len(COMPUTED)
    body = client.get(url).content.decode()
    return body, len(COMPUTED) > before


@pytest.mark.urls("tests.test_autotag")
def test_cache_page_decorator(zero):
    Category.objects.create(name="a")
    client = Client()
    assert _served(client, "/names/") == ("a", True)
    assert _served(client, "/names/") == ("a", False)
    Unrelated.objects.create(name="u")
    assert _served(client, "/names/") == ("a", False)
    Category.objects.create(name="b")
    assert _served(client, "/names/") == ("a,b", True)


@pytest.mark.urls("tests.test_autotag")
def test_cache_middleware(zero, settings):
    settings.MIDDLEWARE = ["django.middleware.cache.UpdateCacheMiddleware",
                           *settings.MIDDLEWARE,
                           "django.middleware.cache.FetchFromCacheMiddleware"]
    settings.CACHE_MIDDLEWARE_ALIAS = "zero"
    settings.CACHE_MIDDLEWARE_SECONDS = 60
    Category.objects.create(name="a")
    client = Client()
    assert _served(client, "/plain/") == ("a", True)
    assert _served(client, "/plain/") == ("a", False)
    Category.objects.create(name="b")
    assert _served(client, "/plain/") == ("a,b", True)
    assert _served(client, "/plain/") == ("a,b", False)


def test_template_fragment(zero):
    Category.objects.create(name="a")
    template = Template("{% load cache %}{% cache 300 sidebar %}{{ names|join:',' }}{% endcache %}")
    render = lambda: template.render(Context({"names": category_names}))
    assert render() == "a"
    assert render() == "a"
    assert COMPUTED == ["names"]
    Category.objects.create(name="b")
    assert render() == "a,b"


# --- real backends ------------------------------------------------------------------------

@pytest.mark.parametrize("alias,env", [("redis", "DJCACHE_TEST_REDIS"),
                                       ("memcached", "DJCACHE_TEST_MEMCACHED"),
                                       ("cluster", "DJCACHE_TEST_CLUSTER")])
def test_zero_code_on_real_backends(alias, env, settings, monkeypatch):
    need(env)
    cache = _zero_on(settings, monkeypatch, alias, CACHE=alias)
    c = Category.objects.create(name="a")
    p = Product.objects.create(name="p", category=c)
    assert cache.get_or_set("names", category_names, 300) == ["a"]
    assert cache.get_or_set("names", category_names, 300) == ["a"]
    assert COMPUTED == ["names"]
    assert tags.tag_key("default", "testapp.category") in cache._cache.get("names")[1]
    p.save()
    assert cache.get_or_set("names", category_names, 300) == ["a"]
    Category.objects.create(name="b")
    assert cache.get_or_set("names", category_names, 300) == ["a", "b"]


def test_async_code_reads_through_tags_but_stores_nothing(zero):
    import asyncio
    Category.objects.create(name="a")
    zero.get_or_set("names", category_names, 300)

    async def in_async_code():
        cached = await zero.aget("names")
        await zero.aset("other", ["x"], 300)
        zero.set("sync-in-loop", ["y"], 300)   # a sync call from async code: reads unknown
        return cached, await zero.aget_or_set("computed", lambda: "v")

    assert asyncio.run(in_async_code()) == (["a"], "v")
    assert zero.get("other") is None and zero.get("sync-in-loop") is None
    assert zero.get("computed") is None
