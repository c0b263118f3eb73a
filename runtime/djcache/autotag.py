"""Zero-code mode: ``DJCACHE = {"AUTO_TAG": ["default"]}``.

The named cache aliases are wrapped so that values an application stores through Django's own
API (``cache.get_or_set``, ``cache_page`` and the cache middleware, ``{% cache %}``, ``get`` then
``set``) are tagged with the tables (and rows) their computation read, exactly like
``tagged("auto")`` entries:

* ``get_or_set(key, callable)``: the callable's reads.
* ``set(key, ...)`` after ``get(key)`` missed on the same thread: what was read in between.
* ``set`` with no preceding miss: everything read on the thread since the request began (or,
  outside requests, since the thread's reads were last reset): more than the value needs,
  never less.

A value whose computation read nothing is stored as it is. A value is stored only if none of
the tags it would carry was bumped after its computation began (the versions are read after
the computation unless the key's family predicted them), so a write racing the computation
leaves the key empty rather than stale. On an event loop's thread (async views, the ``a*``
methods) what computed a value is not known, so nothing is stored there. Reads return the
value only while its tags are unchanged (one extra ``get_many`` of tag versions per hit, none
when the family's tags are predicted and the tags live in the same cache).
"""
from __future__ import annotations

import asyncio
import threading
import time

from asgiref.sync import sync_to_async
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from . import backend, conf, core, invalidation, stats, tags

_MISSING = object()
# misses waiting for their set, per thread; beyond this the oldest is dropped (it never came)
OPEN_MISSES_MAX = 32


def active(alias):
    return alias in (conf.get("AUTO_TAG") or ())


class _Computation:
    """Reads since a point in time: a miss waiting for its ``set``, or the thread's reads."""

    def __init__(self, family=None, predicted=None):
        self.recorder = invalidation.Recorder()
        self.started = time.time()
        self.family = family
        self.predicted = predicted or {}   # tag key -> version read before the computation
        invalidation.open_recorder(self.recorder)

    def close(self):
        invalidation.close_recorder(self.recorder)


_local = threading.local()


def _open_misses() -> dict:
    misses = getattr(_local, "misses", None)
    if misses is None:
        misses = _local.misses = {}
    return misses


def before_read():
    """Run by the SQL wrapper before each statement: the thread's reads start being recorded
    at its first statement (so a thread that read nothing has no reads to tag with)."""
    if conf.get("AUTO_TAG") and getattr(_local, "reads", None) is None:
        _local.reads = _Computation()


def thread_reads() -> _Computation | None:
    """Everything read on this thread since its reads were last reset (the request start)."""
    return getattr(_local, "reads", None)


def reset_thread_reads(**kwargs):
    """At request boundaries: drop this thread's reads and its misses that never got a set."""
    reads = getattr(_local, "reads", None)
    if reads is not None:
        reads.close()
        _local.reads = None
    for miss in _open_misses().values():
        miss.close()
    _open_misses().clear()


def _on_event_loop():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _predicted(key):
    """Tag keys the entry of ``key`` is expected to carry: its family's, and the epoch every
    entry carries."""
    return core.predict_tags(stats.family_of(key), key) | {tags.epoch_key()}


class AutoTagCache:
    """Wraps one Django cache backend; everything it does not define goes to the backend."""

    def __init__(self, cache, alias):
        self._cache = cache
        self._alias = alias

    def __getattr__(self, name):
        return getattr(self._cache, name)

    def __contains__(self, key):
        return self.has_key(key)

    def _on(self):
        return active(self._alias) and not backend.in_guard()

    # -- reading -------------------------------------------------------------------------
    def _fetch(self, keys, version):
        """keys -> {key: raw value} plus the current versions of the families' predicted tags."""
        predicted = sorted({k for key in keys for k in _predicted(key)})
        same = tags.tags_cache() == self._alias and version is None
        with backend.guard():
            got = self._cache.get_many(list(keys) + (predicted if same else []), version=version)
        versions = {k: got.pop(k) for k in predicted if k in got} if same else {}
        return got, versions

    def _unwrap(self, key, raw, versions):
        """A stored value -> the value, or _MISSING when its tags changed."""
        if not core._valid_envelope(raw):
            return raw
        pairs = core._pairs_of(raw)
        if core.Tagged("auto")._bypass(pairs):
            return _MISSING
        expected = set(raw[1])
        unknown = sorted(expected - set(versions))
        if unknown:
            try:
                versions = {**versions, **tags.get_versions(unknown)}
            except backend.Failed:
                return _MISSING
        state, changed = core._check(raw, versions, expected)
        family = stats.family_of(key)
        if state != "hit":
            core._count_miss(family, changed)
            return _MISSING
        stats.hit(family)
        invalidation.note_tags(pairs)
        return raw[3]

    def get(self, key, default=None, version=None):
        if not self._on():
            return self._cache.get(key, default, version=version)
        try:
            got, versions = self._fetch([key], version)
        except Exception:  # noqa: BLE001 - the backend's own errors are the caller's, as before
            return self._cache.get(key, default, version=version)
        value = self._unwrap(key, got.get(key, _MISSING), versions)
        if value is _MISSING:
            self._note_miss(key, version, versions)
            return default
        return value

    def get_many(self, keys, version=None):
        if not self._on():
            return self._cache.get_many(keys, version=version)
        got, versions = self._fetch(list(keys), version)
        out = {}
        for key, raw in got.items():
            value = self._unwrap(key, raw, versions)
            if value is _MISSING:
                self._note_miss(key, version, versions)
            else:
                out[key] = value
        return out

    def has_key(self, key, version=None):
        if not self._on():
            return self._cache.has_key(key, version=version)
        return self.get(key, _MISSING, version=version) is not _MISSING

    def _note_miss(self, key, version, versions):
        misses = _open_misses()
        family = stats.family_of(key)
        previous = misses.pop((key, version), None)
        if previous is not None:
            previous.close()
        while len(misses) >= OPEN_MISSES_MAX:
            misses.pop(next(iter(misses))).close()
        misses[(key, version)] = _Computation(
            family, {k: versions[k] for k in _predicted(key) if k in versions})

    # -- writing -------------------------------------------------------------------------
    def _computation_of(self, key, version, value):
        """What computed the value being stored: the miss of this key, else (the value is not
        a number, which may be a counter about to be incremented) the thread's reads.
        _MISSING when it cannot be known: on an event loop's thread the reads ran on others."""
        miss = _open_misses().pop((key, version), None)
        if miss is not None:
            miss.close()
        if _on_event_loop():
            return _MISSING
        if miss is not None:
            return miss
        if isinstance(value, (int, float)):
            return None
        return thread_reads()

    def _envelope(self, key, value, computation):
        """The value to store for ``key``: itself when its computation read nothing, a tagged
        envelope, or _MISSING when a write may have raced the computation."""
        if computation is _MISSING:
            return _MISSING
        pairs = computation.recorder.tags if computation is not None else set()
        if not pairs:
            return value
        if core.Tagged("auto")._bypass(pairs):
            return _MISSING   # uncommitted writes of this thread: nothing it read is stored
        keys = sorted({tags.tag_key(a, t) for a, t in pairs} | {tags.epoch_key()})
        unknown = [k for k in keys if computation.predicted.get(k) is None]
        try:
            later = tags.ensure_versions(unknown, tags.get_versions(unknown)) if unknown else {}
        except backend.Failed:
            return _MISSING
        versions = {}
        for k in keys:
            if computation.predicted.get(k) is not None:
                versions[k] = computation.predicted[k]
                continue
            v = later.get(k)
            if v is None or tags.version_time(v) >= computation.started - core.CLOCK_SKEW:
                return _MISSING
            versions[k] = v
        family = stats.family_of(key)
        core.remember_tags(family, key, [k for k in keys if k != tags.epoch_key()])
        stats.set_(family)
        return (core._MAGIC, versions, None, value)

    def _store(self, op, key, value, timeout, version):
        stored = self._envelope(key, value, self._computation_of(key, version, value))
        with backend.guard():
            if stored is _MISSING:
                self._cache.delete(key, version=version)
                return False
            return getattr(self._cache, op)(key, stored, timeout, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return self._cache.set(key, value, timeout, version=version)
        self._store("set", key, value, timeout, version)
        return None

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return self._cache.add(key, value, timeout, version=version)
        return self._store("add", key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return self._cache.set_many(data, timeout, version=version)
        return [key for key, value in data.items()
                if self._store("set", key, value, timeout, version) is False]

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return self._cache.get_or_set(key, default, timeout, version=version)
        value = self.get(key, _MISSING, version=version)   # a miss starts recording
        if value is not _MISSING:
            return value
        t0 = time.perf_counter()
        value = default() if callable(default) else default
        stats.compute(stats.family_of(key), time.perf_counter() - t0)
        # set, not add: an entry whose tags changed is still there and must be replaced
        self._store("set", key, value, timeout, version)
        return value

    # Django's async methods call the sync ones in a worker thread, whose reads are not the
    # caller's: reads see through tags, stores only drop the key (nothing is cached).
    async def aget(self, key, default=None, version=None):
        return await sync_to_async(self.get)(key, default, version)

    async def aget_many(self, keys, version=None):
        return await sync_to_async(self.get_many)(keys, version)

    async def ahas_key(self, key, version=None):
        return await sync_to_async(self.has_key)(key, version)

    async def aset(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return await self._cache.aset(key, value, timeout, version=version)
        await self._cache.adelete(key, version=version)
        return None

    async def aadd(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return await self._cache.aadd(key, value, timeout, version=version)
        await self._cache.adelete(key, version=version)
        return False

    async def aset_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return await self._cache.aset_many(data, timeout, version=version)
        await self._cache.adelete_many(list(data), version=version)
        return list(data)

    async def aget_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._on():
            return await self._cache.aget_or_set(key, default, timeout, version=version)
        value = await self.aget(key, _MISSING, version=version)
        if value is _MISSING:
            value = default() if callable(default) else default
        return value

    def __repr__(self):
        return f"<djcache AUTO_TAG {self._cache!r}>"


_installed = False


def install():
    """Wrap the AUTO_TAG aliases as ``caches`` creates them (once per process)."""
    global _installed
    if _installed:
        return
    from django.core.cache import caches
    create = caches.create_connection

    def create_connection(alias):
        cache = create(alias)
        return AutoTagCache(cache, alias) if active(alias) else cache

    caches.create_connection = create_connection  # type: ignore[method-assign]
    invalidation.before_statement = before_read
    from django.core.signals import request_finished, request_started
    request_started.connect(reset_thread_reads, dispatch_uid="djcache.autotag.request_started")
    request_finished.connect(reset_thread_reads, dispatch_uid="djcache.autotag.request_finished")
    _installed = True
