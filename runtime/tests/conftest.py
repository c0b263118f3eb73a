import os
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from django.core.management import call_command

from djcache import core, recovery, stats
from tests import flaky_cache
from tests import settings as test_settings

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
    core._entry_memory.clear()
    recovery.forget()
    flaky_cache.DOWN.clear()
    marker_dir = test_settings.DJCACHE["LOST_BUMPS_MARKER_DIR"]
    shutil.rmtree(marker_dir, ignore_errors=True)
    caches["default"].clear()
    yield
    recovery.forget()  # a cache a test killed must not keep later tests waiting for a replay


@pytest.fixture
def use_cache(settings):
    """use_cache("redis") points djcache at that cache alias and clears it."""
    def apply(alias, **extra):
        settings.DJCACHE = {**test_settings.DJCACHE, "CACHE": alias, **extra}
        cache = caches[alias]
        cache.clear()
        return cache
    return apply


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port, folder):
    """A redis-server on ``port`` keeping its snapshot (dump.rdb) in ``folder``."""
    exe = shutil.which("redis-server")
    if not exe:
        if REQUIRE:
            pytest.fail("redis-server not installed")
        pytest.skip("redis-server not installed")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own, which the test may kill."""
    port = free_port()
    proc = start_redis(port, tmp_path)
    yield proc, port
    stop_redis(proc)


def stop_redis(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()
