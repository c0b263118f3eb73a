"""Per-family counters, kept in-process and flushed to the cache with atomic incr.

Families and tag names are registered in numbered slots (an incr'd counter hands out slot
numbers, ``add`` claims one), so ``collect()`` can enumerate them with get_many only
(cluster-safe). Every flush checks the registration of the names it pushes, so one that the
cache evicted (a file or local-memory cache culls at MAX_ENTRIES, Memcached drops the least
used) or that another writer overwrote is registered again.
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
# time series: per family, hits, misses and invalidations per SERIES_STEP seconds (the step of
# the flush that pushed them), kept for SERIES_STEPS steps
SERIES_STEP = 60
SERIES_STEPS = 60
SERIES_NAMES = ("hits", "misses", "inv")
# hottest rows: per flush, each model's most bumped rows of that period are pushed (at most
# HOT_ROWS_PER_FLUSH); at most HOT_ROWS_MAX row names are kept across processes
HOT_ROWS_PER_FLUSH = 10
HOT_ROWS_MAX = 500
HOT_ROWS_TRACKED = 10000      # rows counted in-process between two flushes

_lock = threading.Lock()
_flushing = threading.Lock()   # one flush at a time: the flusher thread's or an explicit one
_counts: dict = {}            # (family, name) -> int
_bumps: dict = {}             # (db_alias, tag) -> int
_row_bumps: dict = {}         # (db_alias, model tag) -> {pk text: int}
_last_flush = time.monotonic()
_families_seen: set = set()

_HOLE = re.compile(
    r"(?<![A-Za-z])(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|[0-9a-fA-F]{16,})(?![A-Za-z])")


def family_of(key):
    """``product:42`` -> ``product:{}``; digits, uuids and long hex are holes."""
    fam = _HOLE.sub("{}", str(key))
    return fam[:200]


def holes_of(key):
    """``product:42:v7`` -> ``["42"]``: what :func:`family_of` replaced, in order."""
    return _HOLE.findall(str(key))


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
    model, _, row = tag.partition("#")
    with _lock:
        _bumps[key] = _bumps.get(key, 0) + 1
        if row and row != tags.ANY_ROW:
            rows = _row_bumps.setdefault((db_alias, model), {})
            if row in rows or sum(map(len, _row_bumps.values())) < HOT_ROWS_TRACKED:
                rows[row] = rows.get(row, 0) + 1


def clock():
    """Wall time of the time series (tests replace it)."""
    return time.time()


def _step(at):
    return int(at // SERIES_STEP)


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
            refresh_shared_rates()


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


# slots one registration may try before it leaves the name to the next flush
CLAIM_TRIES = 50


def _register(alias, wanted):
    """Make names enumerable. ``wanted``: ``{kind: (names, limit or None)}``; returns
    ``{kind: names registered}`` (a name beyond ``limit`` slots is not). Two get_many: the
    names' id keys (the slot each holds) with the slot counters, then those slots."""
    kinds = [k for k, (names, _) in wanted.items() if names]
    id_keys = {(k, n): _key(k + "id", _h(n)) for k in kinds for n in wanted[k][0]}
    count_keys = {k: _key(k + "count") for k in kinds}
    got = _get_many(alias, list(id_keys.values()) + list(count_keys.values())) if kinds else {}
    slot_keys = {kn: _key(kn[0], str(got[ik])) for kn, ik in id_keys.items()
                 if isinstance(got.get(ik), int)}
    slots = _get_many(alias, list(slot_keys.values())) if slot_keys else {}
    out: dict = {k: set() for k in wanted}
    for k in kinds:
        names, limit = wanted[k]
        count = int(got.get(count_keys[k]) or 0)
        highest = 0
        for n in names:
            slot_key = slot_keys.get((k, n))
            if slot_key is not None and slots.get(slot_key) == n:
                out[k].add(n)
                highest = max(highest, got[id_keys[(k, n)]])
            elif (limit is None or count < limit) and _claim(alias, k, n, limit):
                out[k].add(n)
        if highest > count:
            # the counter was evicted and began again: collect() reads slots up to it only
            backend.incr(alias, count_keys[k], highest - count)
    return out


def _claim(alias, kind, name, limit):
    """Give ``name`` a slot of its own. ``add``, not ``set``: a slot number two writers were
    both handed (a lost update of the counter, on caches whose incr is get-then-set such as the
    file and database caches, or a counter evicted and begun again) stays the first one's, and
    the other tries the next."""
    for _ in range(CLAIM_TRIES):
        slot = backend.incr(alias, _key(kind + "count"), 1)
        if limit is not None and slot > limit:
            return False
        if backend.call(alias, "add", _key(kind, str(slot)), name, None):
            backend.call(alias, "set", _key(kind + "id", _h(name)), slot, None)
            return True
    return False


def flush():
    """Push this process's counters to the cache; returns True on success. Waits for a flush
    in progress on another thread, so what it returns covers every count made before."""
    with _flushing:
        return _flush()


def _flush():
    global _last_flush, _counts, _bumps, _row_bumps
    with _lock:
        counts, bumps, row_bumps = _counts, _bumps, _row_bumps
        _counts, _bumps, _row_bumps = {}, {}, {}
        _last_flush = time.monotonic()
    if not counts and not bumps:
        return True
    alias = tags.tags_cache()
    step = _step(clock())
    series: dict = {}
    bump_labels = {f"{db_alias}:{tag}": n for (db_alias, tag), n in bumps.items()}
    row_labels = {}
    for (db_alias, model), rows in row_bumps.items():
        for row, n in sorted(rows.items(), key=lambda r: -r[1])[:HOT_ROWS_PER_FLUSH]:
            row_labels[f"{db_alias}:{model}#{row}"] = n
    try:
        registered = _register(alias, {
            "f": ({family for family, _ in counts}, None),
            "t": ({name[4:] for _, name in counts if name.startswith("inv:")}, None),
            "b": (set(bump_labels), None),
            "r": (set(row_labels), HOT_ROWS_MAX),
        })
        for (family, name), n in counts.items():
            backend.incr(alias, _key("c", _h(family), name), n)
            point = "inv" if name.startswith("inv:") else name
            if point in SERIES_NAMES:
                series[(family, point)] = series.get((family, point), 0) + n
        for (family, point), n in series.items():
            backend.incr(alias, _series_key(family, step, point), n,
                         timeout=SERIES_STEP * (SERIES_STEPS + 1))
        for label, n in bump_labels.items():
            backend.incr(alias, _key("b", _h(label)), n)
        for label, n in row_labels.items():
            if label in registered["r"]:
                backend.incr(alias, _key("r", _h(label)), n)
    except backend.Failed:
        return False
    return True


def _series_key(family, step, point):
    return _key("ts", _h(family), str(step), point)


def series(families, steps=SERIES_STEPS):
    """Per family, its time series over the last ``steps`` steps (the current one last):
    ``{"start": wall time of the first step, "step": seconds, "hits": [...], "misses": [...],
    "inv": [...]}``."""
    alias = tags.tags_cache()
    last = _step(clock())
    span = range(last - steps + 1, last + 1)
    keys = {(f, s, p): _series_key(f, s, p) for f in families for s in span
            for p in SERIES_NAMES}
    got = _get_many(alias, list(keys.values())) if keys else {}
    return {f: {"start": span[0] * SERIES_STEP, "step": SERIES_STEP,
                **{p: [int(got.get(keys[(f, s, p)]) or 0) for s in span]
                   for p in SERIES_NAMES}}
            for f in families}


def shared_rates(families):
    """Per family, (reads/s, invalidations/s) of every process over the last one to two
    steps: the previous step and the part of the current one gone by."""
    now = clock()
    elapsed = SERIES_STEP + now - _step(now) * SERIES_STEP
    out = {}
    for family, points in series(families, steps=2).items():
        reads = sum(points["hits"]) + sum(points["misses"])
        out[family] = (reads / elapsed, sum(points["inv"]) / elapsed)
    return out


def refresh_shared_rates():
    """Give the traffic-aware TTL the rates of every process for the families that use it
    here (run by the flusher thread after each flush)."""
    from . import ttl
    families = ttl.policy.auto_families()[:200]
    if not families:
        return
    try:
        rates = shared_rates(families)
    except backend.Failed:
        return
    for family, (reads, invalidations) in rates.items():
        ttl.policy.set_shared(family, reads, invalidations)


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
        "hot_rows": _hot_rows(alias),
    }


def _hot_rows(alias, per_table=5):
    """``{"<db alias>:<model>": [[pk, bumps], ...]}``, most bumped first."""
    labels = sorted(set(_names("r")))
    got = _get_many(alias, [_key("r", _h(label)) for label in labels]) if labels else {}
    by_model: dict = {}
    for label in labels:
        model, _, row = label.rpartition("#")
        n = int(got.get(_key("r", _h(label))) or 0)
        if n:
            by_model.setdefault(model, []).append([row, n])
    return {m: sorted(rows, key=lambda r: -r[1])[:per_table] for m, rows in by_model.items()}


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
    """Forget unflushed counters (tests)."""
    global _counts, _bumps, _row_bumps
    with _lock:
        _counts, _bumps, _row_bumps = {}, {}, {}
        _families_seen.clear()
