"""Fail-open: the cache server dies mid-test; values are still computed and served."""
import logging

import pytest
from django.core.cache import caches

from djcache import tagged
from tests import settings as test_settings
from tests.testapp.models import Category

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def killable(own_redis, settings):
    proc, port = own_redis
    settings.CACHES = {**settings.CACHES, "killable": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    settings.DJCACHE = {**test_settings.DJCACHE, "CACHE": "killable", "WARNING_INTERVAL": 60}
    return proc


def test_cache_server_killed_mid_test(killable, caplog):
    Category.objects.create(name="a")
    calls = []

    def compute():
        calls.append(1)
        return list(Category.objects.values_list("name", flat=True))

    h = tagged(Category)
    assert h.get_or_set("cats", compute) == ["a"]
    assert h.get_or_set("cats", compute) == ["a"]
    assert len(calls) == 1
    assert caches["killable"].get("djc:e:cats") is not None

    killable.kill()
    killable.wait()
    caplog.set_level(logging.WARNING, logger="djcache")
    for _ in range(5):
        assert h.get_or_set("cats", compute) == ["a"]   # no exception, value served
    assert len(calls) == 6
    # writes still work (their bump fails open) and get/set/delete do not raise
    Category.objects.create(name="b")
    assert h.get("cats", "dflt") == "dflt"
    assert h.set("x", 1) is False
    assert h.delete("x") is False
    assert h.get_or_set("cats", compute) == ["a", "b"]
    warnings = [r for r in caplog.records if r.name == "djcache" and r.levelno == logging.WARNING]
    assert warnings, "a warning is logged"
    # rate-limited: at most one per (alias, operation) within WARNING_INTERVAL
    per_op = {}
    for r in warnings:
        per_op[r.getMessage().split(" during ")[1].split(" ")[0]] = per_op.get(
            r.getMessage().split(" during ")[1].split(" ")[0], 0) + 1
    assert all(n == 1 for n in per_op.values()), per_op
