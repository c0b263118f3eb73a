"""Bumps lost in a cache outage are replayed when the cache answers again (issue 14, item 7).

The cache comes back with the data it had before the write (a restart from a snapshot, a
failover to a lagging replica): the entry cached before the write must miss."""
import os
import time

import pytest
import redis
from django.core.cache import caches

from djcache import recovery, tagged, tags
from tests import flaky_cache
from tests import settings as test_settings
from tests.conftest import free_port, start_redis, stop_redis
from tests.testapp.models import Category, Tag

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = object()


@pytest.fixture
def flaky(settings):
    # the retry thread stays asleep: these tests drive the replay through reads
    settings.DJCACHE = {**test_settings.DJCACHE, "CACHE": "flaky",
                        "LOST_BUMPS_RETRY_INTERVAL": 3600}
    caches["flaky"].clear()
    return settings


@pytest.fixture
def warm(flaky):
    """A Category entry and a Tag entry, cached while the cache is up."""
    Category.objects.create(name="a")
    cats, other = tagged(Category), tagged(Tag)
    assert cats.get_or_set("names", _names) == ["a"]
    assert other.get_or_set("tags", lambda: "t") == "t"
    return cats, other


def _names():
    return list(Category.objects.order_by("pk").values_list("name", flat=True))


def _marker_files():
    folder = test_settings.DJCACHE["LOST_BUMPS_MARKER_DIR"]
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_bump_lost_while_down_is_replayed_when_the_cache_is_back(warm):
    cats, other = warm

    flaky_cache.DOWN.add("flaky")
    Category.objects.create(name="b")            # the bump fails
    assert cats.get("names", MISSING) is MISSING   # fail-open while down
    assert _marker_files(), "a restarted process would know bumps were lost"

    flaky_cache.DOWN.clear()                     # back, with the data it had
    assert caches["flaky"].get(tags.entry_key("names")) is not None
    assert cats.get("names", MISSING) is MISSING, "stale entry served after the outage"
    assert cats.get_or_set("names", _names) == ["a", "b"]
    # only the lost tags were bumped: an entry on other models survives
    assert other.get("tags", MISSING) == "t"
    assert recovery.ready() and not _marker_files()


def test_reads_miss_until_the_replay_succeeds(warm):
    cats, _ = warm
    flaky_cache.DOWN.add("flaky")
    Category.objects.create(name="b")
    assert not recovery.ready()
    flaky_cache.DOWN.clear()
    # the replay runs before the first operation that would read the old data
    assert cats.get_or_set("names", _names) == ["a", "b"]
    assert cats.get("names") == ["a", "b"]


def test_overflowing_record_invalidates_the_whole_namespace(flaky, warm):
    flaky.DJCACHE = {**flaky.DJCACHE, "LOST_BUMPS_MAX": 1}
    cats, other = warm
    flaky_cache.DOWN.add("flaky")
    Category.objects.create(name="b")
    Tag.objects.create(name="t1")                # two tags lost: more than the record holds
    flaky_cache.DOWN.clear()
    assert cats.get("names", MISSING) is MISSING
    assert other.get("tags", MISSING) is MISSING, "the epoch invalidates every entry"
    assert cats.get_or_set("names", _names) == ["a", "b"]


def test_restarted_process_invalidates_the_whole_namespace(warm):
    cats, other = warm
    flaky_cache.DOWN.add("flaky")
    Category.objects.create(name="b")
    recovery.forget()                            # the process died; its record is gone
    flaky_cache.DOWN.clear()
    assert cats.get("names", MISSING) is MISSING, "a new process must not trust the old data"
    assert other.get("tags", MISSING) is MISSING
    assert not _marker_files()
    assert cats.get_or_set("names", _names) == ["a", "b"]
    assert cats.get("names") == ["a", "b"]


def test_no_marker_no_epoch_for_a_process_that_lost_nothing(warm):
    cats, other = warm
    recovery.forget()                            # a fresh process
    assert cats.get("names") == ["a"]
    assert other.get("tags") == "t"
    # and no process that lost nothing leaves anything on disk
    assert not os.path.lexists(test_settings.DJCACHE["LOST_BUMPS_MARKER_DIR"])


def test_marker_folder_that_is_a_symlink_is_refused(flaky, tmp_path, caplog):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    link = tmp_path / "markers"
    link.symlink_to(target)
    flaky.DJCACHE = {**flaky.DJCACHE, "LOST_BUMPS_MARKER_DIR": str(link)}
    flaky_cache.DOWN.add("flaky")
    Category.objects.create(name="b")
    assert os.listdir(target) == []
    assert any("lost-bumps marker" in r.getMessage() for r in caplog.records)


def test_retry_thread_replays_without_further_traffic(flaky, warm):
    flaky.DJCACHE = {**flaky.DJCACHE, "LOST_BUMPS_RETRY_INTERVAL": 0.02}
    key = tags.tag_key("default", "testapp.category")
    before = caches["flaky"].get(key)
    flaky_cache.DOWN.add("flaky")
    Category.objects.create(name="b")
    flaky_cache.DOWN.clear()
    # other processes read the tag versions; this one stays idle
    deadline = time.monotonic() + 10
    while caches["flaky"].get(key) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert caches["flaky"].get(key) != before


# --- real Redis: the server is restarted from a snapshot taken before the write ---------------


@pytest.fixture
def restartable_redis(tmp_path, settings):
    port = free_port()
    servers = [start_redis(port, tmp_path)]
    settings.CACHES = {**settings.CACHES, "snapshotted": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    settings.DJCACHE = {**test_settings.DJCACHE, "CACHE": "snapshotted",
                        "LOST_BUMPS_RETRY_INTERVAL": 3600}

    class Server:
        client = redis.Redis(port=port)

        def kill(self):
            stop_redis(servers[-1])

        def start(self):
            servers.append(start_redis(port, tmp_path))

    yield Server()
    for proc in servers:
        stop_redis(proc)


def test_redis_restored_from_a_snapshot_serves_no_stale_entry(restartable_redis):
    server = restartable_redis
    Category.objects.create(name="a")
    cats = tagged(Category)
    assert cats.get_or_set("names", _names) == ["a"]
    assert cats.get("names") == ["a"]
    server.client.save()                         # the snapshot holds the entry and its tag versions

    server.kill()
    Category.objects.create(name="b")            # the bump fails: the server is gone
    assert cats.get("names", MISSING) is MISSING

    server.start()                               # comes back from the old snapshot
    for _ in range(50):                          # until the client has reconnected
        try:
            if caches["snapshotted"].get(tags.entry_key("names")) is not None:
                break
        except Exception:  # noqa: BLE001 - the pool's old sockets fail once
            time.sleep(0.05)
    assert caches["snapshotted"].get(tags.entry_key("names")) is not None, "old data is back"
    assert cats.get("names", MISSING) is MISSING, "stale entry served after the restore"
    assert cats.get_or_set("names", _names) == ["a", "b"]
    assert cats.get("names") == ["a", "b"]
