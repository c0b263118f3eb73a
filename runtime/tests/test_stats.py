import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from django.core.management import call_command

from djcache import stats, tagged
from tests.conftest import need
from tests.test_backends import BACKENDS
from tests.testapp.models import Category

pytestmark = pytest.mark.django_db(transaction=True)

WORKER = textwrap.dedent("""
    import os, sys, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    django.setup()
    from django.conf import settings
    settings.DJCACHE = {"CACHE": "redis", "KEY_PREFIX": sys.argv[1], "STATS_FLUSH_INTERVAL": 0.05}
    from djcache import tagged, stats
    h = tagged("testapp.Category")
    name = sys.argv[2]
    for rnd in range(3):
        for i in range(10):
            h.get_or_set(f"item:{name}:{i}", lambda: i * 2, 300)
    assert stats.flush()
""")


def test_stats_add_up_across_two_processes(use_cache):
    need("DJCACHE_TEST_REDIS")
    prefix = "st" + uuid.uuid4().hex[:8]
    use_cache("redis", KEY_PREFIX=prefix)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, prefix, name], cwd=root,
                              env=os.environ.copy())
             for name in ("a", "b")]
    assert [p.wait(60) for p in procs] == [0, 0]
    data = stats.collect()
    rows = {r["family"]: r for r in data["families"]}
    # keys item:a:0..9 and item:b:0..9 -> families item:a:{} and item:b:{}
    assert set(rows) == {"item:a:{}", "item:b:{}"}
    for fam in rows.values():
        assert fam["misses"] == 10 and fam["sets"] == 10 and fam["hits"] == 20
        assert fam["compute_ms"]["count"] == 10
    total_hits = sum(r["hits"] for r in rows.values())
    assert total_hits == 40


def test_stats_families_invalidations_and_compute_time(use_cache):
    use_cache("locmem")
    Category.objects.create(name="a")
    h = tagged(Category)
    for pk in (1, 2, 3):
        h.get_or_set(f"product:{pk}", lambda pk=pk: pk)
        h.get_or_set(f"product:{pk}", lambda pk=pk: pk)
    Category.objects.create(name="b")
    h.get_or_set("product:1", lambda: 1)
    data = stats.collect()
    (row,) = [r for r in data["families"] if r["family"] == "product:{}"]
    assert (row["hits"], row["misses"], row["sets"]) == (3, 4, 4)
    assert row["invalidations"] == {"testapp.category": 1}
    assert row["compute_ms"]["count"] == 4 and row["compute_ms"]["mean"] >= 0
    assert row["compute_ms"]["p95"] is not None
    # one bump per create: the SQL wrapper bumps, post_save finds that noted and skips
    assert data["tag_bumps"]["default:testapp.category"] == 2


def test_management_command_table_and_json(use_cache, capsys):
    use_cache("locmem")
    h = tagged(Category)
    h.get_or_set("sidebar:1", lambda: 1)
    h.get_or_set("sidebar:1", lambda: 1)
    call_command("djcache", "stats", "--json")
    data = json.loads(capsys.readouterr().out)
    (row,) = [r for r in data["families"] if r["family"] == "sidebar:{}"]
    assert row["hits"] == 1 and row["misses"] == 1
    call_command("djcache", "stats")
    out = capsys.readouterr().out
    assert "sidebar:{}" in out and "family" in out.splitlines()[0]
    call_command("djcache", "invalidate", "testapp.Category")
    assert h.get("sidebar:1") is None


def test_json_view_staff_or_token(use_cache, client, settings, django_user_model):
    use_cache("locmem")
    tagged(Category).get_or_set("v:1", lambda: 1)
    assert client.get("/djcache/").status_code == 403
    settings.DJCACHE = {**settings.DJCACHE, "STATS_TOKEN": "s3cret"}
    assert client.get("/djcache/", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    r = client.get("/djcache/", HTTP_AUTHORIZATION="Bearer s3cret")
    assert r.status_code == 200
    assert any(f["family"] == "v:{}" and f["misses"] == 1 for f in r.json()["families"])
    user = django_user_model.objects.create_user("u", password="p")
    client.force_login(user)
    assert client.get("/djcache/stats.json").status_code == 403
    user.is_staff = True
    user.save()
    assert client.get("/djcache/stats.json").status_code == 200


@pytest.mark.parametrize("header", ["bearer s3cret", "BEARER s3cret", "bEaReR   s3cret"])
def test_json_view_bearer_scheme_is_case_insensitive(use_cache, client, settings, header):
    """RFC 7235: the auth scheme is a case-insensitive token, then one or more spaces."""
    use_cache("locmem")
    settings.DJCACHE = {**settings.DJCACHE, "STATS_TOKEN": "s3cret"}
    assert client.get("/djcache/", HTTP_AUTHORIZATION=header).status_code == 200


@pytest.mark.parametrize("header", ["bearer wrong", "Basic s3cret", "Bearers3cret", "s3cret"])
def test_json_view_rejects_other_schemes_and_tokens(use_cache, client, settings, header):
    use_cache("locmem")
    settings.DJCACHE = {**settings.DJCACHE, "STATS_TOKEN": "s3cret"}
    assert client.get("/djcache/", HTTP_AUTHORIZATION=header).status_code == 403


def test_family_holes():
    assert stats.family_of("product:42") == "product:{}"
    assert stats.family_of("user:7:cart:12") == "user:{}:cart:{}"
    assert stats.family_of("page:3f2504e0-4f89-11d3-9a0c-0305e82c3301") == "page:{}"
    assert stats.family_of("v2:sidebar") == "v2:sidebar"


# the label registry on every backend: a file or database cache's incr is get-then-set, and
# any cache may evict a registry key (file and local-memory caches cull at MAX_ENTRIES)
def _registry_cache(use_cache, alias):
    if BACKENDS[alias]:
        need(BACKENDS[alias])
    return use_cache(alias, KEY_PREFIX="rg" + uuid.uuid4().hex[:8])


def _writer(family, reads):
    """What one process pushes: ``reads`` hits of ``family`` and one bump of its table tag."""
    for _ in range(reads):
        stats.hit(family)
    stats.record_bump("default", f"app.{family[:1]}")
    assert stats.flush()


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
@pytest.mark.parametrize("alias", BACKENDS)
def test_two_writers_handed_one_slot_both_stay_listed(use_cache, alias):
    """Two processes register their first family at once on a cache whose incr is a get then a
    set: both read the slot counter at 0 and both write 1, so both are handed slot 1. The
    second must not overwrite the first one's name there (it would vanish from the stats)."""
    cache = _registry_cache(use_cache, alias)
    _writer("a:{}", 2)
    cache.set(stats._key("fcount"), 0)    # what writer b read before writer a wrote it
    cache.set(stats._key("bcount"), 0)
    _writer("b:{}", 3)
    _writer("a:{}", 1)
    data = stats.collect()
    assert {r["family"]: r["hits"] for r in data["families"]} == {"a:{}": 3, "b:{}": 3}
    assert data["tag_bumps"] == {"default:app.a": 2, "default:app.b": 1}


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
@pytest.mark.parametrize("alias", BACKENDS)
def test_evicted_registrations_come_back_at_the_next_flush(use_cache, alias):
    cache = _registry_cache(use_cache, alias)
    _writer("a:{}", 2)
    _writer("b:{}", 1)
    # the cache drops a's id key, b's slot and the counter of table-tag slots
    cache.delete_many([stats._key("fid", stats._h("a:{}")), stats._key("f", "2"),
                       stats._key("bcount")])
    _writer("a:{}", 1)
    _writer("b:{}", 1)
    data = stats.collect()
    assert {r["family"]: r["hits"] for r in data["families"]} == {"a:{}": 3, "b:{}": 2}
    assert data["tag_bumps"] == {"default:app.a": 2, "default:app.b": 2}
