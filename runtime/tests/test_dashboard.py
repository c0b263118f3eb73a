"""The dashboard page: staff only, server-rendered SVG plots of the stats every process flushed
into the cache, a clear state when the cache is down, a row on the admin index."""
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from djcache import stats, tagged
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
    assert page.count("<svg") == 6
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
    assert staff.get("/admin/djcache/dashboard/").content.decode().count("<svg") == 6
    assert Client().get("/admin/djcache/dashboard/").status_code == 302   # to the login page
