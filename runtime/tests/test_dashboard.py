"""The dashboard page: staff only, server-rendered SVG plots of the stats every process flushed
into the cache, a clear state when the cache is down, a row on the admin index."""
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from djcache import stats, tagged, ttl
from tests import flaky_cache
from tests.testapp.models import Category

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


@pytest.fixture
def staff():
    client = Client()
    client.force_login(User.objects.create(username="staff", is_staff=True))
    return client


def test_anonymous_and_non_staff_are_refused():
    assert Client().get("/djcache/dashboard/").status_code == 403
    client = Client()
    client.force_login(User.objects.create(username="user"))
    assert client.get("/djcache/dashboard/").status_code == 403


def test_plots_hit_ratio_reads_and_invalidations(staff):
    Category.objects.create(name="a")
    h = tagged(Category)
    for _ in range(3):
        h.get_or_set("menu:1", lambda: "m", 300)
    Category.objects.create(name="b")
    h.get_or_set("menu:1", lambda: "m", 300)
    stats.flush()
    page = staff.get("/djcache/dashboard/").content.decode()
    assert page.count('class="djc-chart"') == 7   # the bar charts
    assert page.count('class="djc-chart djc-series"') == 1   # menu:{} over time
    # menu:{} read 4 times: 2 hits, 2 misses (first read and after the write)
    assert re.search(r"<title>menu:\{\}: 50%</title>", page)
    assert re.search(r"<title>menu:\{\}: 4</title>", page)
    assert re.search(r"<title>default:testapp\.category: \d+</title>", page)
    assert re.search(r"<title>menu:\{\}: 1</title>", page)   # invalidated once


def test_a_cache_that_is_down_says_so(staff, settings):
    from tests import settings as test_settings
    settings.DJCACHE = {**test_settings.DJCACHE, "CACHE": "flaky"}
    flaky_cache.DOWN.add("flaky")
    response = staff.get("/djcache/dashboard/")
    assert response.status_code == 503
    assert "The cache is down." in response.content.decode()


def test_the_admin_index_links_the_dashboard(staff):
    index = staff.get("/admin/").content.decode()
    assert 'href="/admin/djcache/dashboard/"' in index
    assert staff.get("/admin/djcache/dashboard/").content.decode().count("<svg") == 7
    assert Client().get("/admin/djcache/dashboard/").status_code == 302   # to the login page


def test_hits_misses_and_invalidations_per_minute(staff, monkeypatch):
    minute = 60 * 1_000_000
    monkeypatch.setattr(stats, "clock", lambda: minute + 5)
    Category.objects.create(name="a")
    h = tagged(Category)
    h.get_or_set("menu:1", lambda: "m", 300)
    h.get_or_set("menu:1", lambda: "m", 300)
    stats.flush()
    monkeypatch.setattr(stats, "clock", lambda: minute + 65)   # the next minute
    Category.objects.create(name="b")
    for _ in range(3):
        h.get_or_set("menu:1", lambda: "m", 300)
    stats.flush()
    points = stats.series(["menu:{}"])["menu:{}"]
    assert len(points["hits"]) == stats.SERIES_STEPS and points["step"] == 60
    assert (points["hits"][-2:], points["misses"][-2:], points["inv"][-2:]) == \
        ([1, 2], [1, 1], [0, 1])
    page = staff.get("/djcache/dashboard/").content.decode()
    assert "<title>menu:{} per minute</title>" in page
    assert "<title>hits per minute, last: 2</title>" in page


def test_invalidations_per_table_name_the_hottest_rows(staff):
    hot, cold = Category.objects.create(name="hot"), Category.objects.create(name="cold")
    for i in range(3):
        hot.name = f"hot {i}"
        hot.save()
    cold.name = "cold 1"
    cold.save()
    Category.objects.update(name="all")   # names no row: counted for the table, not a row
    stats.flush()
    rows = stats.collect()["hot_rows"]["default:testapp.category"]
    # the create and each save bumped the row once
    assert rows == [[str(hot.pk), 4], [str(cold.pk), 2]]
    page = staff.get("/djcache/dashboard/").content.decode()
    assert f"<title>default:testapp.category#{hot.pk}: 4</title>" in page


def test_auto_ttl_uses_the_reads_of_every_process(staff):
    family = "feed:{}"
    alone = ttl.policy.ttl(family)   # this process never read it: cold, the minimum
    # the reads another process flushed: counted in the cache, not in this process's rates
    for _ in range(600):
        stats.hit(family)
    stats.flush()
    stats.refresh_shared_rates()
    shared = ttl.policy.ttl(family)
    assert alone == 30 and shared > 1000
    page = staff.get("/djcache/dashboard/").content.decode()
    assert re.search(r"<td>feed:\{\}</td><td>[\d.]+</td>\s*<td>0.0</td><td>\d+ s</td>", page)
