"""Traffic-aware TTL (``timeout="auto"``) and jitter.

For each entry family we keep two exponentially decayed event rates (time constant
``AUTO_TTL_WINDOW`` seconds): reads per second ``r`` and invalidations per second ``i``.

    hotness    h = r / (r + R)            R = AUTO_TTL_HOT_READS_PER_MIN / 60
    stability  s = 1 / (1 + i * MAX)      (expected invalidations during one MAX TTL)
    ttl        = MIN + (MAX - MIN) * h * s

Hot and rarely invalidated -> h ~ 1, s ~ 1 -> ~MAX.  Frequently invalidated -> s ~ 0 -> ~MIN
(invalidation keeps it fresh anyway, and memory is saved).  Cold -> h ~ 0 -> ~MIN.
Each rate is the larger of this process's and that of every process (the stats every process
flushed in the last one to two minutes, read by the stats flusher thread), so a family read
by many processes, each seeing a little of its traffic, is known to be hot.
Every TTL then gets +/-JITTER (default 10 %) so keys set together do not expire together.
"""
from __future__ import annotations

import math
import random
import threading
import time

from . import conf


# shared rates older than this (seconds) are not used: the flusher stopped refreshing them
SHARED_MAX_AGE = 180.0


class DecayedRate:
    """Events per second, exponentially decayed with time constant ``tau``."""

    __slots__ = ("tau", "value", "t")

    def __init__(self, tau):
        self.tau = float(tau)
        self.value = 0.0
        self.t = None

    def add(self, now, n=1):
        if self.t is not None:
            self.value *= math.exp(-(now - self.t) / self.tau) if now > self.t else 1.0
        self.t = now if self.t is None or now > self.t else self.t
        self.value += n / self.tau

    def rate(self, now):
        if self.t is None:
            return 0.0
        dt = max(0.0, now - self.t)
        return self.value * math.exp(-dt / self.tau)


def formula(read_rate, inval_rate, min_ttl, max_ttl, hot_reads_per_min):
    big_r = hot_reads_per_min / 60.0
    h = read_rate / (read_rate + big_r) if read_rate > 0 else 0.0
    s = 1.0 / (1.0 + inval_rate * max_ttl)
    return min_ttl + (max_ttl - min_ttl) * h * s


class AutoTTL:
    def __init__(self, clock=time.monotonic, window=None, max_families=2000):
        self.clock = clock
        self.window = window
        self.max_families = max_families
        self._reads: dict[str, DecayedRate] = {}
        self._invals: dict[str, DecayedRate] = {}
        self._last: dict[str, float] = {}
        self._shared: dict[str, tuple[float, float, float]] = {}   # family -> (r, i, at)
        self._lock = threading.Lock()

    def _tau(self):
        return self.window or conf.get("AUTO_TTL_WINDOW")

    def _rate(self, table, family):
        r = table.get(family)
        if r is None:
            if len(table) >= self.max_families:
                table.clear()
            r = table[family] = DecayedRate(self._tau())
        return r

    def record_read(self, family, n=1):
        with self._lock:
            self._rate(self._reads, family).add(self.clock(), n)

    def record_invalidation(self, family, n=1):
        with self._lock:
            self._rate(self._invals, family).add(self.clock(), n)

    def set_shared(self, family, read_rate, inval_rate):
        """Rates of every process for ``family`` (events per second), as of now."""
        with self._lock:
            if family not in self._shared and len(self._shared) >= self.max_families:
                self._shared.clear()
            self._shared[family] = (read_rate, inval_rate, self.clock())

    def auto_families(self):
        """Families this process computed an auto TTL for, in the order first seen."""
        return list(self._last)

    def rates(self, family):
        now = self.clock()
        with self._lock:
            r = self._reads.get(family)
            i = self._invals.get(family)
            local = (r.rate(now) if r else 0.0, i.rate(now) if i else 0.0)
            shared = self._shared.get(family)
        if shared is None or now - shared[2] > SHARED_MAX_AGE:
            return local
        return (max(local[0], shared[0]), max(local[1], shared[1]))

    def ttl(self, family, min_ttl=None, max_ttl=None):
        """The un-jittered TTL for ``family`` right now."""
        min_ttl = conf.get("AUTO_TTL_MIN") if min_ttl is None else min_ttl
        max_ttl = conf.get("AUTO_TTL_MAX") if max_ttl is None else max_ttl
        r, i = self.rates(family)
        value = formula(r, i, min_ttl, max_ttl, conf.get("AUTO_TTL_HOT_READS_PER_MIN"))
        self._last[family] = value
        return value

    def last(self, family):
        return self._last.get(family)


policy = AutoTTL()


def jitter(ttl, fraction=None, rng=random.random):
    """Apply +/-fraction jitter; returns an int >= 1. ``None`` (forever) stays ``None``."""
    if ttl is None:
        return None
    fraction = conf.get("JITTER") if fraction is None else fraction
    value = ttl * (1.0 + fraction * (2.0 * rng() - 1.0))
    return max(1, int(round(value)))


def resolve(timeout, family):
    """Turn a call's ``timeout`` argument into seconds (jittered) or None."""
    if timeout == "auto":
        return jitter(policy.ttl(family))
    if timeout is _DEFAULT:
        timeout = conf.get("DEFAULT_TIMEOUT")
    if timeout is None:
        return None
    return jitter(float(timeout))


class _Default:
    """The type of "no timeout given": ``DEFAULT_TIMEOUT`` applies."""

    def __repr__(self):
        return "DEFAULT"


_DEFAULT = _Default()

# What a call's ``timeout`` may be: seconds, None (never expires), "auto", or left out.
Timeout = float | str | None | _Default
