"""cache_page, memoize, the template tag, and the debug toolbar panel."""
import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory

import djcache
from tests import urls
from tests.testapp.models import Category, Product, Tag

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    c = Category.objects.create(name="c1")
    Product.objects.create(name="p1", category=c)
    return c


def test_cache_page_explicit(shop, client):
    urls.COUNTER["n"] = 0
    assert client.get("/products/").content == b"p1"
    assert client.get("/products/").content == b"p1"
    assert urls.COUNTER["n"] == 1
    Tag.objects.create(name="unrelated")
    assert client.get("/products/").content == b"p1" and urls.COUNTER["n"] == 1
    Product.objects.create(name="p2", category=shop)
    assert client.get("/products/").content == b"p1,p2"
    assert urls.COUNTER["n"] == 2
    assert client.get("/products/?page=2").content == b"p1,p2"   # another URL, another entry
    assert urls.COUNTER["n"] == 3
    assert client.post("/products/").content == b"p1,p2" and urls.COUNTER["n"] == 4


def test_cache_page_auto(shop, client):
    urls.COUNTER["n"] = 0
    for _ in range(3):
        assert client.get("/categories/").content == b"c1"
    first = urls.COUNTER["n"]
    assert first <= 2
    Tag.objects.create(name="unrelated")
    assert client.get("/categories/").content == b"c1" and urls.COUNTER["n"] == first
    Category.objects.create(name="c2")
    assert client.get("/categories/").content == b"c1,c2"
    assert urls.COUNTER["n"] == first + 1


def test_cache_page_does_not_store_per_user_responses():
    from django.http import HttpResponse
    calls = []

    @djcache.cache_page(60, depends_on=[Category])
    def view(request):
        calls.append(1)
        r = HttpResponse("x")
        r.set_cookie("a", "b")
        return r

    rf = RequestFactory()
    view(rf.get("/x"))
    view(rf.get("/x"))
    assert len(calls) == 2


def test_memoize(shop):
    calls = []

    @djcache.memoize(300, depends_on=[Product])
    def count_products(category):
        calls.append(1)
        return category.products.count()

    assert count_products(shop) == 1
    assert count_products(shop) == 1
    assert len(calls) == 1
    other = Category.objects.create(name="c2")
    assert count_products(other) == 0 and len(calls) == 2      # per-argument entries
    assert count_products(shop) == 1 and len(calls) == 2        # Category write: not a dependency
    Product.objects.create(name="p2", category=shop)
    assert count_products(shop) == 2 and len(calls) == 3
    count_products.invalidate(shop)
    assert count_products(shop) == 2 and len(calls) == 4


def test_memoize_auto(shop):
    calls = []

    @djcache.memoize(300, depends_on="auto")
    def names():
        calls.append(1)
        return list(Category.objects.values_list("name", flat=True))

    names(), names(), names()
    base = len(calls)
    Tag.objects.create(name="t")
    names()
    assert len(calls) == base
    Category.objects.create(name="c2")
    assert names() == ["c1", "c2"] and len(calls) == base + 1


TPL = ('{% load djcache %}'
       '{% tagged_cache 500 "sidebar" depends_on="testapp.Product testapp.Category" %}'
       '{% for p in products %}{{ p.name }}/{{ p.category.name }};{% endfor %}'
       '{% endtagged_cache %}')


def test_template_tag(shop):
    t = Template(TPL)
    qs = lambda: Product.objects.select_related("category").order_by("pk")
    assert t.render(Context({"products": qs()})) == "p1/c1;"
    # cached: the context is not even read
    assert t.render(Context({"products": []})) == "p1/c1;"
    Category.objects.filter(pk=shop.pk).update(name="C1")
    assert t.render(Context({"products": qs()})) == "p1/C1;"


def test_template_tag_vary_on_and_auto(shop):
    t = Template('{% load djcache %}{% tagged_cache "auto" frag who depends_on="auto" %}'
                 '{{ who }}:{% for c in cats %}{{ c.name }}{% endfor %}{% endtagged_cache %}')
    cats = lambda: Category.objects.order_by("pk")
    assert t.render(Context({"who": "a", "cats": cats()})) == "a:c1"
    assert t.render(Context({"who": "b", "cats": cats()})) == "b:c1"
    t.render(Context({"who": "a", "cats": cats()}))
    assert t.render(Context({"who": "a", "cats": []})) == "a:c1"
    Category.objects.create(name="c2")
    assert t.render(Context({"who": "a", "cats": cats()})) == "a:c1c2"


def test_template_tag_syntax_errors():
    with pytest.raises(TemplateSyntaxError):
        Template("{% load djcache %}{% tagged_cache 5 %}x{% endtagged_cache %}")
    with pytest.raises(TemplateSyntaxError):
        Template('{% load djcache %}{% tagged_cache 5 "a" bogus="x" %}x{% endtagged_cache %}')


def test_debug_toolbar_panel(shop):
    pytest.importorskip("debug_toolbar")
    from djcache.panels import DjcachePanel

    class FakeToolbar:
        def __init__(self):
            self.stats = {}
            self.server_timing_stats = {}
            self.request_id = "r1"
            self.saved = {}
            toolbar = self

            class Store:
                @staticmethod
                def save_panel(request_id, panel_id, data):
                    import json
                    toolbar.saved[panel_id] = json.loads(json.dumps(data))  # must serialise
            self.store = Store()

        def get_panel_by_id(self, pid):  # pragma: no cover - not used
            return None

    toolbar = FakeToolbar()
    panel = DjcachePanel(toolbar, lambda request: None)
    panel.enable_instrumentation()
    h = djcache.tagged(Category)
    h.get_or_set("panel:1", lambda: 1)
    h.get_or_set("panel:1", lambda: 1)
    panel.disable_instrumentation()
    panel.generate_stats(RequestFactory().get("/"), None)
    s = panel.get_stats()
    assert s["hits"] == 1 and s["misses"] == 1
    (row,) = s["request_rows"]
    assert row["family"] == "panel:{}" and row["sets"] == 1
    assert "panel:{}" in panel.content
    assert panel.nav_subtitle == "1 hits, 1 misses"
    assert toolbar.saved[panel.panel_id]["hits"] == 1
