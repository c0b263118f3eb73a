"""Fail-open access to Django caches, with rate-limited warnings.

djcache only calls single-key operations and get_many/set_many, so a Redis Cluster backend
works. While djcache itself talks to a cache, the SQL execute wrapper ignores statements
(the database cache backend would otherwise look like application writes).
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.core.cache import caches

from . import conf, recovery

logger = logging.getLogger("djcache")
_local = threading.local()
_warned: dict = {}
_warn_lock = threading.Lock()


def in_guard():
    return getattr(_local, "guard", 0) > 0


@contextlib.contextmanager
def guard():
    _local.guard = getattr(_local, "guard", 0) + 1
    try:
        yield
    finally:
        _local.guard -= 1


def warn(alias, op, exc):
    """Log a warning at most once per WARNING_INTERVAL seconds per (alias, op)."""
    now = time.monotonic()
    key = (alias, op)
    with _warn_lock:
        last, suppressed = _warned.get(key, (None, 0))
        if last is not None and now - last < conf.get("WARNING_INTERVAL"):
            _warned[key] = (last, suppressed + 1)
            return
        _warned[key] = (now, 0)
    logger.warning(
        "djcache: cache %r failed during %s (%s: %s); serving without cache%s",
        alias, op, type(exc).__name__, exc,
        f" ({suppressed} similar warnings suppressed)" if suppressed else "",
    )


class Failed(Exception):
    pass


def _require_ready(alias, op):
    """Until bumps lost in an outage are replayed, the cache's data may be stale."""
    if not recovery.ready():
        exc = Failed("bumps lost while the cache was unreachable are not replayed yet")
        warn(alias, op, exc)
        raise exc


def call(alias, op, *args, **kwargs):
    """Run ``caches[alias].op(*args)``; on any error log (rate-limited) and raise Failed."""
    _require_ready(alias, op)
    return call_unguarded(alias, op, *args, **kwargs)


def call_unguarded(alias, op, *args, **kwargs):
    """``call`` without waiting for lost bumps to be replayed (the replay itself uses it)."""
    try:
        with guard():
            return getattr(caches[alias], op)(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - fail-open is the point
        warn(alias, op, exc)
        raise Failed(str(exc)) from exc


def incr(alias, key, delta, timeout=None):
    """Atomic increment that creates the key when missing (add then incr on a race), to live
    ``timeout`` seconds (None: forever) from its creation."""
    _require_ready(alias, "incr")
    try:
        with guard():
            return caches[alias].incr(key, delta)
    except ValueError:
        pass  # missing key
    except Exception as exc:  # noqa: BLE001
        warn(alias, "incr", exc)
        raise Failed(str(exc)) from exc
    if call(alias, "add", key, delta, timeout):
        return delta
    return call(alias, "incr", key, delta)
