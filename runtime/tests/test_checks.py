"""System checks for the DJCACHE setting (djcache.E001...)."""
import pytest
from django.core import checks

from tests import settings as test_settings


def _djcache_messages(settings, djcache, **more):
    settings.DJCACHE = djcache
    for name, value in more.items():
        setattr(settings, name, value)
    return [m for m in checks.run_checks() if m.id and m.id.startswith("djcache.")]


def test_the_test_settings_pass(settings):
    assert _djcache_messages(settings, test_settings.DJCACHE) == []


def test_no_setting_passes(settings):
    assert _djcache_messages(settings, None) == []


def test_not_a_dict(settings):
    [msg] = _djcache_messages(settings, ["CACHE", "default"])
    assert msg.id == "djcache.E001"


def test_mistyped_key_suggests_the_close_match(settings):
    [msg] = _djcache_messages(settings, {"DEFAULT_TIMOUT": 60})
    assert msg.id == "djcache.E002"
    assert "'DEFAULT_TIMOUT'" in msg.msg and msg.hint == "Did you mean 'DEFAULT_TIMEOUT'?"


def test_unknown_key_lists_the_known_ones(settings):
    [msg] = _djcache_messages(settings, {"ZZZ": 1})
    assert msg.id == "djcache.E002" and "KEY_PREFIX" in msg.hint


@pytest.mark.parametrize("key,value", [("DEFAULT_TIMEOUT", "300"), ("JITTER", True),
                                       ("LOCK", 1), ("DATABASE_ALIASES", ["replica"]),
                                       ("TAGS_CACHE", 5), ("LOST_BUMPS_MARKER_DIR", 3)])
def test_wrong_types(settings, key, value):
    [msg] = _djcache_messages(settings, {key: value})
    assert msg.id == "djcache.E003" and key in msg.msg


@pytest.mark.parametrize("key,value", [("DEFAULT_TIMEOUT", None), ("DEFAULT_TIMEOUT", 2.5),
                                       ("LOST_BUMPS_MARKER_DIR", False), ("STATS_TOKEN", "t"),
                                       ("LOCK", True)])
def test_right_types(settings, key, value):
    assert _djcache_messages(settings, {key: value}) == []


@pytest.mark.parametrize("key", ["CACHE", "TAGS_CACHE"])
def test_cache_alias_that_does_not_exist(settings, key):
    [msg] = _djcache_messages(settings, {key: "redis_cache"} if key == "CACHE" else
                              {"CACHE": "default", key: "locmen"})
    assert msg.id == "djcache.E004"
    if key == "TAGS_CACHE":
        assert msg.hint == "Did you mean 'locmem'?"


def test_dummy_cache_holds_no_tags(settings):
    caches = {**test_settings.CACHES,
              "off": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    [msg] = _djcache_messages(settings, {"TAGS_CACHE": "off"}, CACHES=caches)
    assert msg.id == "djcache.W001" and "'off'" in msg.msg


@pytest.mark.parametrize("backend", ["locmem.LocMemCache", "filebased.FileBasedCache",
                                     "db.DatabaseCache"])
def test_culling_cache_for_tags_warns(settings, backend):
    small = {"BACKEND": f"django.core.cache.backends.{backend}", "LOCATION": "small"}
    caches = {**test_settings.CACHES, "small": small,
              "roomy": {**small, "OPTIONS": {"MAX_ENTRIES": 10_000}}}
    [msg] = _djcache_messages(settings, {"CACHE": "small"}, CACHES=caches)
    assert msg.id == "djcache.W002" and "at most 300 keys" in msg.msg
    [msg] = _djcache_messages(settings, {"CACHE": "roomy", "TAGS_CACHE": "small"}, CACHES=caches)
    assert msg.id == "djcache.W002" and "'small'" in msg.msg
    # entries alone may be culled: a miss, not a lost tag
    assert _djcache_messages(settings, {"CACHE": "small", "TAGS_CACHE": "roomy"},
                             CACHES=caches) == []
    assert _djcache_messages(settings, {"CACHE": "roomy"}, CACHES=caches) == []


def test_database_alias_that_does_not_exist(settings):
    [msg] = _djcache_messages(settings, {"DATABASE_ALIASES": {"replica": "default"}})
    assert msg.id == "djcache.E005" and "'replica'" in msg.msg
    assert _djcache_messages(settings, {"DATABASE_ALIASES": {"other": "default"}}) == []


def test_auto_tag_names_an_unknown_cache(settings):
    [msg] = _djcache_messages(settings, {"AUTO_TAG": ["zeroo"]})
    assert msg.id == "djcache.E006" and msg.hint == "Did you mean 'zero'?"


def test_auto_tag_is_a_list(settings):
    [msg] = _djcache_messages(settings, {"AUTO_TAG": "zero"})
    assert msg.id == "djcache.E003"
    assert _djcache_messages(settings, {"AUTO_TAG": ["zero", "default"]}) == []
