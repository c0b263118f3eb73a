"""Per-family counters, kept in-process and flushed to the cache with atomic incr.

Families and tag names are registered in the cache with ``add`` (first writer wins) plus an
incr'd slot counter, so ``collect()`` can enumerate them with get_many only (cluster-safe).
"""
from __future__ import annotations

import atexit
import hashlib
import os
import re
import threading
import time

from . import backend, conf, tags

# compute-time histogram: bucket k holds times <= 0.1 ms * 2**k; the last bucket is open
BUCKETS = 20
BOUNDS_MS = [0.1 * (2 ** k) for k in range(BUCKETS - 1)] + [float("inf")]
FIXED = ("hits", "misses", "sets", "stale", "compute_n", "compute_us")
MAX_FAMILIES = 1000

_lock = threading.Lock()
_flushing = threading.Lock()   # one flush at a time: the flusher thread's or an explicit one
_counts: dict = {}            # (family, name) -> int
_bumps: dict = {}             # (db_alias, tag) -> int
_registered_f: set = set()
_registered_t: set = set()
_last_flush = time.monotonic()
_families_seen: set = set()

_HOLE = re.compile(
    r"(?<![A-Za-z])(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|[0-9a-fA-F]{16,})(?![A-Za-z])")


def family_of(key):
    """``product:42`` -> ``product:{}``; digits, uuids and long hex are holes."""
    fam = _HOLE.sub("{}", str(key))
    return fam[:200]


listeners: list = []   # callables(family, name, n): the debug toolbar panel listens here


def _add(family, name, n=1):
    for fn in listeners:
        fn(family, name, n)
    if not conf.get("STATS"):
        return
    with _lock:
        if family not in _families_seen:
            if len(_families_seen) >= MAX_FAMILIES:
                family = "(other)"
            _families_seen.add(family)
        k = (family, name)
        _counts[k] = _counts.get(k, 0) + n
    maybe_flush()


def hit(family):
    _add(family, "hits")


def miss(family):
    _add(family, "misses")


def set_(family):
    _add(family, "sets")


def stale(family):
    _add(family, "stale")


def invalidated(family, tag_list):
    for t in {tags.stats_name(t) for t in tag_list}:
        _add(family, "inv:" + t)


def compute(family, seconds):
    ms = seconds * 1000.0
    bucket = next(i for i, b in enumerate(BOUNDS_MS) if ms <= b)
    _add(family, "compute_n")
    _add(family, "compute_us", int(seconds * 1_000_000))
    _add(family, f"h{bucket}")


def record_bump(db_alias, tag):
    if not conf.get("STATS"):
        return
    key = (db_alias, tags.stats_name(tag))
    with _lock:
        _bumps[key] = _bumps.get(key, 0) + 1


def maybe_flush():
    if time.monotonic() - _last_flush >= conf.get("STATS_FLUSH_INTERVAL"):
        _flusher().wake()


class _Flusher:
    """One daemon thread per process that flushes when woken, so no request pays for a
    flush: it is one ``incr`` round trip per counter (tens of them), which put the flushing
    request among the slowest 1 % (docs/performance-runtime.md)."""

    def __init__(self):
        self.pid = os.getpid()
        self.due = threading.Event()
        threading.Thread(target=self.run, name="djcache-stats-flush", daemon=True).start()

    def wake(self):
        self.due.set()

    def run(self):
        while True:
            self.due.wait()
            self.due.clear()
            flush()


_flusher_lock = threading.Lock()
_flusher_of_process: _Flusher | None = None


def _flusher() -> _Flusher:
    """The flusher of this process (a forked child starts its own: threads do not survive a
    fork)."""
    global _flusher_of_process
    current = _flusher_of_process
    if current is not None and current.pid == os.getpid():
        return current
    with _flusher_lock:
        if _flusher_of_process is None or _flusher_of_process.pid != os.getpid():
            _flusher_of_process = _Flusher()
        return _flusher_of_process


def _h(s):
    return hashlib.md5(s.encode()).hexdigest()[:16]


def _key(*parts):
    return ":".join((tags.prefix(), "s") + parts)


def _register(kind, name, seen):
    if name in seen:
        return
    alias = tags.tags_cache()
    if backend.call(alias, "add", _key(kind + "id", _h(name)), 1, None):
        slot = backend.incr(alias, _key(kind + "count"), 1)
        backend.call(alias, "set", _key(kind, str(slot)), name, None)
    seen.add(name)


def flush():
    """Push this process's counters to the cache; returns True on success. Waits for a flush
    in progress on another thread, so what it returns covers every count made before."""
    with _flushing:
        return _flush()


def _flush():
    global _last_flush, _counts, _bumps
    with _lock:
        counts, bumps = _counts, _bumps
        _counts, _bumps = {}, {}
        _last_flush = time.monotonic()
    if not counts and not bumps:
        return True
    alias = tags.tags_cache()
    try:
        for (family, name), n in counts.items():
            _register("f", family, _registered_f)
            if name.startswith("inv:"):
                _register("t", name[4:], _registered_t)
            backend.incr(alias, _key("c", _h(family), name), n)
        for (db_alias, tag), n in bumps.items():
            label = f"{db_alias}:{tag}"
            _register("b", label, _registered_t)
            backend.incr(alias, _key("b", _h(label)), n)
    except backend.Failed:
        return False
    return True


atexit.register(lambda: flush() if conf_ready() else None)


def conf_ready():
    try:
        from django.conf import settings
        return settings.configured
    except Exception:  # noqa: BLE001
        return False


def _names(kind):
    alias = tags.tags_cache()
    count = backend.call(alias, "get", _key(kind + "count")) or 0
    if not count:
        return []
    got = _get_many(alias, [_key(kind, str(i)) for i in range(1, int(count) + 1)])
    return [v for v in got.values() if v]


def _get_many(alias, keys, chunk=500):
    out = {}
    for i in range(0, len(keys), chunk):
        out.update(backend.call(alias, "get_many", keys[i:i + chunk]))
    return out


def collect(flush_first=True):
    """Aggregate stats of every process, as plain JSON-able data."""
    from . import ttl
    if flush_first:
        flush()
    alias = tags.tags_cache()
    families = sorted(set(_names("f")))
    tag_names = sorted(set(_names("t")))
    bump_labels = sorted(set(_names("b")))
    names = list(FIXED) + [f"h{i}" for i in range(BUCKETS)] + ["inv:" + t for t in tag_names]
    keys = {(f, n): _key("c", _h(f), n) for f in families for n in names}
    got = _get_many(alias, list(keys.values()))
    rows = []
    for f in families:
        c = {n: int(got.get(keys[(f, n)]) or 0) for n in names}
        reads = c["hits"] + c["misses"]
        hist = [c[f"h{i}"] for i in range(BUCKETS)]
        rows.append({
            "family": f,
            "hits": c["hits"],
            "misses": c["misses"],
            "sets": c["sets"],
            "stale_served": c["stale"],
            "hit_rate": round(c["hits"] / reads, 4) if reads else None,
            "invalidations": {t: c["inv:" + t] for t in tag_names if c["inv:" + t]},
            "compute_ms": {
                "count": c["compute_n"],
                "mean": (round(c["compute_us"] / c["compute_n"] / 1000.0, 3)
                         if c["compute_n"] else None),
                "p95": _p95(hist),
            },
            "auto_ttl_seconds": (round(ttl.policy.last(f), 1)
                                 if ttl.policy.last(f) is not None else None),
        })
    bkeys = {b: _key("b", _h(b)) for b in bump_labels}
    bgot = _get_many(alias, list(bkeys.values())) if bkeys else {}
    return {
        "version": 1,
        "generated_at": time.time(),
        "families": rows,
        "tag_bumps": {b: int(bgot.get(k) or 0) for b, k in bkeys.items()},
    }


def _p95(hist):
    total = sum(hist)
    if not total:
        return None
    need = 0.95 * total
    run = 0
    for i, n in enumerate(hist):
        run += n
        if run >= need:
            b = BOUNDS_MS[i]
            return None if b == float("inf") else round(b, 3)
    return None


def reset_local():
    """Forget unflushed counters and registrations (tests)."""
    global _counts, _bumps
    with _lock:
        _counts, _bumps = {}, {}
        _registered_f.clear()
        _registered_t.clear()
        _families_seen.clear()
