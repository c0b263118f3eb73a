"""timeout="auto" under a simulated workload with a simulated clock; jitter; stampede."""
import random
import threading
import time

import pytest

from djcache import tagged, ttl
from djcache.ttl import AutoTTL, formula, jitter
from tests.testapp.models import Category


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def run(policy, clock, family, seconds, reads_per_s, invalidate_every=None, step=1.0):
    """Drive the policy with a workload: reads spread evenly, an invalidation every N s."""
    t_end = clock.t + seconds
    next_inv = clock.t + invalidate_every if invalidate_every else None
    while clock.t < t_end:
        clock.t += step
        policy.record_read(family, n=reads_per_s * step)
        if next_inv is not None and clock.t >= next_inv:
            policy.record_invalidation(family)
            next_inv += invalidate_every


@pytest.fixture
def sim(settings):
    settings.DJCACHE = {"AUTO_TTL_MIN": 30, "AUTO_TTL_MAX": 3600, "AUTO_TTL_WINDOW": 300,
                        "AUTO_TTL_HOT_READS_PER_MIN": 1.0}
    clock = Clock()
    return AutoTTL(clock=clock), clock


def test_cold_family_gets_min(sim):
    policy, clock = sim
    assert policy.ttl("never-read") == 30
    run(policy, clock, "cold", 1800, reads_per_s=1 / 600)   # one read every 10 minutes
    assert policy.ttl("cold") < 30 + 0.1 * (3600 - 30)


def test_hot_rarely_invalidated_gets_long(sim):
    policy, clock = sim
    run(policy, clock, "hot", 1800, reads_per_s=20)
    assert policy.ttl("hot") > 0.95 * 3600


def test_frequently_invalidated_gets_short(sim):
    policy, clock = sim
    run(policy, clock, "churn", 1800, reads_per_s=20, invalidate_every=10)
    v = policy.ttl("churn")
    assert 30 <= v < 60


def test_adapts_when_workload_changes(sim):
    policy, clock = sim
    run(policy, clock, "f", 1800, reads_per_s=20, invalidate_every=10)
    short = policy.ttl("f")
    run(policy, clock, "f", 3600, reads_per_s=20)            # writes stop
    long_ = policy.ttl("f")
    run(policy, clock, "f", 3600, reads_per_s=0)             # traffic stops
    cold = policy.ttl("f")
    assert short < 60 < 3000 < long_
    assert cold < 100
    # monotone in each rate
    assert formula(10, 0, 30, 3600, 1) > formula(1, 0, 30, 3600, 1) > formula(0.001, 0, 30, 3600, 1)
    assert formula(10, 0.001, 30, 3600, 1) > formula(10, 0.1, 30, 3600, 1)


def test_decayed_rate_converges_to_true_rate(sim):
    policy, clock = sim
    run(policy, clock, "r", 3000, reads_per_s=5, invalidate_every=20)
    r, i = policy.rates("r")
    assert r == pytest.approx(5, rel=0.05)
    assert i == pytest.approx(1 / 20, rel=0.15)


def test_jitter_bounds_and_spread(settings):
    rng = random.Random(7)
    values = [jitter(1000, rng=rng.random) for _ in range(2000)]
    assert min(values) >= 900 and max(values) <= 1100
    assert len(set(values)) > 100                    # keys set together do not expire together
    assert jitter(None) is None
    assert jitter(0.2) == 1


@pytest.mark.django_db(transaction=True)
def test_get_or_set_auto_uses_policy(monkeypatch, settings):
    settings.DJCACHE = {"AUTO_TTL_MIN": 30, "AUTO_TTL_MAX": 3600}
    clock = Clock()
    monkeypatch.setattr(ttl, "policy", AutoTTL(clock=clock))
    h = tagged(Category)
    now = time.time()
    h.get_or_set("cold:1", lambda: 1, "auto")
    from django.core.cache import caches
    entry = caches["default"].get("djc:e:cold:1")
    expected = ttl.policy.ttl("cold:{}")   # one read in the window: still cold
    assert expected < 0.2 * 3600
    assert 0.9 * expected - 1 <= entry[2] - now <= 1.1 * expected + 1
    for _ in range(600):                              # hot: 1 read/s for 10 min
        clock.t += 1
        ttl.policy.record_read("hot:{}")
    h.get_or_set("hot:1", lambda: 1, "auto")
    entry = caches["default"].get("djc:e:hot:1")
    assert entry[2] - now > 0.9 * 0.9 * 3600


@pytest.mark.django_db(transaction=True)
def test_single_flight_lock(settings):
    settings.DJCACHE = {"LOCK": True, "LOCK_TIMEOUT": 5}
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return "v"

    h = tagged(Category)
    results = []
    threads = [threading.Thread(target=lambda: results.append(h.get_or_set("expensive", slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["v"] * 8
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_serve_stale_while_one_recomputes(settings):
    h = tagged(Category)
    assert h.get_or_set("s", lambda: "old", 1, stale=30) == "old"
    time.sleep(1.3)                                   # TTL (1 s) expired, stale window open
    started = threading.Event()
    release = threading.Event()

    def slow():
        started.set()
        release.wait(5)
        return "new"

    out = []
    t = threading.Thread(target=lambda: out.append(h.get_or_set("s", slow, 1, stale=30)))
    t.start()
    assert started.wait(5)
    # while the recompute runs, other readers get the stale value at once
    assert h.get_or_set("s", lambda: "should not run", 1, stale=30) == "old"
    release.set()
    t.join()
    assert out == ["new"]
    assert h.get_or_set("s", lambda: "x", 1, stale=30) == "new"


@pytest.mark.django_db(transaction=True)
def test_invalidated_value_is_never_served_stale():
    h = tagged(Category)
    h.get_or_set("s2", lambda: "old", 300, stale=30)
    Category.objects.create(name="x")
    assert h.get_or_set("s2", lambda: "new", 300, stale=30) == "new"
