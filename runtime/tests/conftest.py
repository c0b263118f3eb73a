import os
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings

from djcache import stats

REQUIRE = os.environ.get("DJCACHE_REQUIRE_SERVERS") == "1"


def need(env):
    value = os.environ.get(env)
    if not value:
        if REQUIRE:
            pytest.fail(f"{env} is not set but DJCACHE_REQUIRE_SERVERS=1")
        pytest.skip(f"{env} not set")
    return value


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("createcachetable", database="other")
    yield


@pytest.fixture(autouse=True)
def _fresh_state(settings):
    stats.reset_local()
    caches["default"].clear()
    yield


@pytest.fixture
def use_cache(settings):
    """use_cache("redis") points djcache at that cache alias and clears it."""
    def apply(alias, **extra):
        settings.DJCACHE = {"CACHE": alias, "STATS_FLUSH_INTERVAL": 3600, **extra}
        cache = caches[alias]
        cache.clear()
        return cache
    return apply


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis():
    """A redis-server of the test's own, which the test may kill."""
    exe = shutil.which("redis-server")
    if not exe:
        if REQUIRE:
            pytest.fail("redis-server not installed")
        pytest.skip("redis-server not installed")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield proc, port
    if proc.poll() is None:
        proc.kill()
        proc.wait()
