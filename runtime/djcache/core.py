"""The tagged-entry API: ``tagged(Product, "shop.Category").get_or_set(key, fn, timeout)``."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import Model

from . import backend, conf, invalidation, stats, tags, ttl
from .ttl import _DEFAULT, Timeout

T = TypeVar("T")
# a model class, an "app.Model" label, a model instance (one row), rows(...), or "auto"
Dependency = type[Model] | Model | tags.Rows | str

_MAGIC = "djc1"
AUTO = "auto"
# a tag bumped less than this many seconds before an auto entry's compute started makes the
# entry unsafe to store (see README "depends_on='auto'")
CLOCK_SKEW = 1.0
LOCK_POLL = 0.02

# family -> the tag keys an auto entry of it used last time; a row tag whose pk was a hole of
# that entry's key (``product:42`` -> ``shop.product#42``) is kept as (text before the pk, the
# hole's index), so the next key of the family predicts its own row
_auto_memory: dict = {}


def remember_tags(family, key, tag_keys):
    holes = stats.holes_of(key)
    remembered = set()
    for k in tag_keys:
        head, sep, row = k.rpartition("#")
        remembered.add((head + sep, holes.index(row)) if sep and row in holes else k)
    _auto_memory[family] = remembered


def predict_tags(family, key):
    """The tag keys an auto entry of ``family`` stored under ``key`` is expected to carry."""
    if family not in _auto_memory:
        return set()
    holes = stats.holes_of(key)
    out = set()
    for k in _auto_memory.get(family, ()):
        if isinstance(k, str):
            out.add(k)
        elif k[1] < len(holes):
            out.add(k[0] + holes[k[1]])
    return out


# entry key -> the tag keys beyond its declared ones that its entry carried when this process
# last read or computed it (added with add_dependencies, or recorded by "auto"): they are read
# in the same get_many as the entry, so a hit costs one round trip, not two
_entry_memory: dict = {}
_entry_memory_lock = threading.Lock()
ENTRY_MEMORY_MAX = 10_000


def _recall_entry_tags(ekey):
    return _entry_memory.get(ekey, frozenset())


def _remember_entry_tags(ekey, tag_keys):
    with _entry_memory_lock:
        if not tag_keys:
            _entry_memory.pop(ekey, None)
            return
        _entry_memory[ekey] = tag_keys
        if len(_entry_memory) > ENTRY_MEMORY_MAX:
            del _entry_memory[next(iter(_entry_memory))]   # the oldest remembered


class _Miss:
    pass


MISS = _Miss()


class Tagged:
    """A set of dependencies; entries stored through it are invalidated by writes to them.

    ``deps`` are model classes, ``"app.Model"`` labels, model instances (that one row), or
    ``"auto"`` (record the tables and rows the computation SELECTs from). ``pk`` makes the one
    model given a dependency on that row only: ``tagged(Product, pk=42)``; a foreign key does
    the same for the rows holding one value in it: ``tagged(Review, product=5)``. For several
    models, pass ``djcache.rows(Review, product=5)`` among the dependencies.
    """

    def __init__(self, *deps: Dependency | Sequence[Dependency], using: str | None = None,
                 pk: Any = tags.NO_PK, **columns: Any):
        if len(deps) == 1 and isinstance(deps[0], (list, tuple)):
            deps = tuple(deps[0])
        self.auto = any(isinstance(d, str) and d == AUTO for d in deps)
        self.deps = tuple(d for d in deps if not (isinstance(d, str) and d == AUTO))
        if (pk is not tags.NO_PK or columns) and (
                len(self.deps) != 1 or isinstance(self.deps[0], (Model, tags.Rows))):
            raise TypeError("tagged(Model, pk=...) and tagged(Model, <foreign key>=...) take "
                            "exactly one model class or label; for rows of several models pass "
                            "their instances or djcache.rows(Model, ...)")
        if columns:
            self.deps = (tags.Rows(self.deps[0], pk=pk, **columns),)
            pk = tags.NO_PK
        unsaved = [d for d in self.deps if isinstance(d, Model) and d.pk is None]
        if unsaved:
            raise TypeError(f"tagged({unsaved[0]!r}): an unsaved instance has no row to depend on")
        self.using = using
        self.pk = pk
        self._pairs = None

    def __repr__(self):
        shown = [repr(d) for d in self.deps] + ([repr(AUTO)] if self.auto else [])
        if self.pk is not tags.NO_PK:
            shown.append(f"pk={self.pk!r}")
        return f"tagged({', '.join(shown)})"

    # -- helpers ---------------------------------------------------------------------------
    @property
    def pairs(self):
        if self._pairs is None:
            self._pairs = tags.resolve_deps(self.deps, using=self.using, pk=self.pk)
        return self._pairs

    def _declared_keys(self):
        return [tags.tag_key(a, t) for a, t in self.pairs] + [tags.epoch_key()]

    def _bypass(self, pairs):
        """Uncommitted writes to one of these tags on this thread -> do not use the cache."""
        by_alias: dict[str, set[str]] = {}
        for a, t in pairs:
            by_alias.setdefault(a, set()).add(t)
        for a, ts in by_alias.items():
            if invalidation.pending_tags(a) & ts:
                return True
        return False

    def _bypass_recorded(self, entry):
        """An "auto" entry's tags (and those an entry added while it was computed) are known
        only once it is read: one this thread has uncommitted writes to (another thread may
        have cached it since) is not used."""
        if entry is None or not _valid_envelope(entry):
            return False
        return (self.auto or bool(set(entry[1]) - set(self._declared_keys()))) and \
            self._bypass(_pairs_of(entry))

    def _read(self, key, family):
        """Return (entry or None, current versions, expected tag keys). Raises Failed."""
        ekey = tags.entry_key(key)
        declared = self._declared_keys()
        recalled = _recall_entry_tags(ekey)
        tkeys = sorted(set(declared) | predict_tags(family, key) | recalled)
        same = tags.tags_cache() == tags.entries_cache()
        if same:
            got = backend.call(tags.entries_cache(), "get_many", [ekey] + tkeys)
            entry = got.pop(ekey, None)
            current = got
        else:
            entry = backend.call(tags.entries_cache(), "get", ekey)
            current = tags.get_versions(tkeys)
        if not _valid_envelope(entry):
            entry = None
        expected = set(declared)
        if entry is not None:
            stored = set(entry[1])
            extra = sorted(stored - set(tkeys))
            if extra:
                current.update(tags.get_versions(extra))
            expected |= stored
            beyond = frozenset(stored - set(declared))
            if beyond != recalled:
                _remember_entry_tags(ekey, beyond)
        return entry, current, expected

    # -- public API ------------------------------------------------------------------------
    def get(self, key: object, default: Any = None, family: str | None = None) -> Any:
        family = family or stats.family_of(key)
        ttl.policy.record_read(family)
        if self._bypass(self.pairs):
            return default
        try:
            entry, current, expected = self._read(key, family)
        except backend.Failed:
            stats.miss(family)
            return default
        if self._bypass_recorded(entry):
            return default
        state, changed = _check(entry, current, expected)
        if state == "hit":
            stats.hit(family)
            invalidation.note_tags(_pairs_of(entry))
            return entry[3]
        _count_miss(family, changed)
        return default

    def set(self, key: object, value: Any, timeout: Timeout = _DEFAULT,
            family: str | None = None) -> bool:
        """Store ``value`` with the tag versions current *now*. Prefer get_or_set, which
        captures the versions before computing."""
        family = family or stats.family_of(key)
        if self._bypass(self.pairs):
            return False
        try:
            keys = self._declared_keys()
            versions = tags.ensure_versions(keys, tags.get_versions(keys))
        except backend.Failed:
            return False
        return _store(tags.entry_key(key), value, {k: versions[k] for k in keys},
                      timeout, family, stale=0)

    def delete(self, key: object) -> bool:
        try:
            return backend.call(tags.entries_cache(), "delete", tags.entry_key(key))
        except backend.Failed:
            return False

    def get_or_set(self, key: object, default: Callable[[], T] | T, timeout: Timeout = _DEFAULT,
                   *, lock: bool | None = None, stale: float | None = None,
                   family: str | None = None) -> T:
        """Return the cached value for ``key`` or compute ``default()`` and store it.

        ``lock``: single-flight recompute (one worker computes, others wait for its value).
        ``stale``: serve a value whose TTL expired (never one that was invalidated) for at
        most this many seconds while one worker recomputes.
        """
        family = family or stats.family_of(key)
        lock = conf.get("LOCK") if lock is None else lock
        stale = conf.get("STALE_SECONDS") if stale is None else stale
        ttl.policy.record_read(family)
        if self._bypass(self.pairs):
            return _call(default)
        ekey = tags.entry_key(key)
        try:
            entry, current, expected = self._read(key, family)
        except backend.Failed:
            stats.miss(family)
            return _call(default)
        if self._bypass_recorded(entry):
            return _call(default)
        state, changed = _check(entry, current, expected)
        if state == "hit":
            stats.hit(family)
            invalidation.note_tags(_pairs_of(entry))
            return entry[3]
        have_lock = False
        if state == "expired" and stale and lock_acquire(ekey) is False:
            stats.stale(family)
            invalidation.note_tags(_pairs_of(entry))
            return entry[3]
        elif state == "expired" and stale:
            have_lock = True
        _count_miss(family, changed)
        if lock and not have_lock:
            acquired = lock_acquire(ekey)
            if acquired is False:
                value = self._wait(key, family)
                if value is not MISS:
                    return value
                acquired = lock_acquire(ekey)
            have_lock = bool(acquired)
        try:
            return self._compute_and_store(key, family, default, timeout, stale, current)
        finally:
            if have_lock:
                try:
                    backend.call(tags.entries_cache(), "delete", tags.lock_key(ekey))
                except backend.Failed:
                    pass

    def _wait(self, key, family):
        ekey = tags.entry_key(key)
        deadline = time.monotonic() + conf.get("LOCK_TIMEOUT")
        while time.monotonic() < deadline:
            time.sleep(LOCK_POLL)
            try:
                entry, current, expected = self._read(key, family)
                state, _ = _check(entry, current, expected)
                if state == "hit":
                    stats.hit(family)
                    invalidation.note_tags(_pairs_of(entry))
                    return entry[3]
                if backend.call(tags.entries_cache(), "get", tags.lock_key(ekey)) is None:
                    return MISS
            except backend.Failed:
                return MISS
        return MISS

    def _compute_and_store(self, key, family, default, timeout, stale, current):
        ekey = tags.entry_key(key)
        declared = self._declared_keys()
        predicted = sorted(predict_tags(family, key) | _recall_entry_tags(ekey))
        try:
            snapshot = tags.ensure_versions(sorted(set(declared) | set(predicted)), current)
        except backend.Failed:
            return _call(default)
        started_wall = time.time()
        t0 = time.perf_counter()
        with invalidation.Recorder() as rec:
            value = _call(default)
        # "auto": what the computation read; otherwise what it declared with add_dependencies
        recorded = {tags.tag_key(a, t): (a, t) for a, t in (rec.tags if self.auto else rec.added)}
        stats.compute(family, time.perf_counter() - t0)
        _remember_entry_tags(ekey, frozenset(recorded))
        pairs = set(self.pairs) | set(recorded.values())
        invalidation.note_tags(pairs | rec.tags)
        if self._bypass(pairs):
            return value
        versions = {k: snapshot.get(k) for k in declared}
        if recorded:
            remember_tags(family, key, recorded)
            unknown = [k for k in recorded if k not in snapshot]
            try:
                later = tags.ensure_versions(unknown, tags.get_versions(unknown)) if unknown else {}
            except backend.Failed:
                return value
            for k in recorded:
                if k in snapshot:
                    versions[k] = snapshot[k]
                else:
                    v = later.get(k)
                    if v is None or tags.version_time(v) >= started_wall - CLOCK_SKEW:
                        return value  # a write may have raced the computation: do not store
                    versions[k] = v
        if any(v is None for v in versions.values()):
            return value
        _store(ekey, value, versions, timeout, family, stale)
        return value


def _call(fn):
    return fn() if callable(fn) else fn


def _valid_envelope(entry):
    return (isinstance(entry, tuple) and len(entry) == 4 and entry[0] == _MAGIC
            and isinstance(entry[1], dict))


def _check(entry, current, expected):
    """-> (state, changed tags). state: hit | expired | invalid | miss."""
    if entry is None:
        return "miss", []
    versions = entry[1]
    changed = [k for k in expected if versions.get(k) is None or current.get(k) != versions[k]]
    if changed:
        return "invalid", changed
    if entry[2] is not None and time.time() > entry[2]:
        return "expired", []
    return "hit", []


def _count_miss(family, changed):
    stats.miss(family)
    if changed:
        names = sorted({k.split(":", 3)[-1] for k in changed})
        stats.invalidated(family, names)
        ttl.policy.record_invalidation(family)


def _pairs_of(entry):
    out = set()
    pre = tags.prefix() + ":t:"
    for k in entry[1]:
        if k.startswith(pre):
            a, _, t = k[len(pre):].partition(":")
            out.add((a, t))
    return out


def _store(ekey, value, versions, timeout, family, stale):
    seconds = ttl.resolve(timeout, family)
    fresh_until = None if seconds is None else time.time() + seconds
    physical = None if seconds is None else seconds + (stale or 0)
    try:
        backend.call(tags.entries_cache(), "set", ekey,
                     (_MAGIC, versions, fresh_until, value), physical)
    except backend.Failed:
        return False
    stats.set_(family)
    return True


def lock_acquire(ekey):
    """True if acquired, False if someone holds it, None if the cache failed."""
    try:
        return bool(backend.call(tags.entries_cache(), "add", tags.lock_key(ekey), 1,
                                 conf.get("LOCK_TIMEOUT")))
    except backend.Failed:
        return None


def tagged(*deps: Dependency | Sequence[Dependency], using: str | None = None,
           pk: Any = tags.NO_PK, **columns: Any) -> Tagged:
    """``tagged(Product, "shop.Category")``, ``tagged(product)`` (one row),
    ``tagged(Product, pk=42)`` or ``tagged(Review, product=5)`` (the rows holding that foreign
    key) -> a :class:`Tagged` handle."""
    return Tagged(*deps, using=using, pk=pk, **columns)
