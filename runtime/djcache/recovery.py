"""Bumps lost in a cache outage, replayed once the cache answers again.

A bump that fails while the cache is down would be lost: if the server comes back with its
old data (a restart from a snapshot, a failover to a lagging replica), entries cached
before the write would match their old tag versions again. So a failed bump is recorded
here, in process memory, and until every recorded bump has been replayed no djcache cache
operation of this process is served from the cache (``backend.call`` asks
:func:`ready` first; reads miss, values are computed).

The record is bounded by ``LOST_BUMPS_MAX`` tag keys; beyond that it collapses into the
namespace epoch, a key that every entry carries like a tag, so bumping it invalidates
everything. A process can also die before it replays: on its first failed bump it creates a
marker file (``LOST_BUMPS_MARKER_DIR``), removed after a successful replay, and a process
that starts and finds the marker bumps the epoch. A daemon thread retries every
``LOST_BUMPS_RETRY_INTERVAL`` seconds, so other processes stop seeing stale entries shortly
after the cache is back even when this one is idle.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from typing import Any

from django.conf import settings

from . import backend, conf, tags

logger = logging.getLogger("djcache")

_state_lock = threading.Lock()
_replay_lock = threading.Lock()
_lost_keys: dict[str, set[str]] = {}   # tags cache alias -> tag keys whose bump failed
_lost_epochs: set[str] = set()         # tags cache aliases whose whole namespace must go
_pending = False
_marker_checked = False
_marker_warned = False
_retry_thread: threading.Thread | None = None


def record(alias: str, keys: list[str]) -> None:
    """Remember that bumping ``keys`` in cache ``alias`` failed."""
    global _pending
    with _state_lock:
        if alias not in _lost_epochs:
            lost = _lost_keys.setdefault(alias, set())
            lost.update(keys)
            if sum(len(k) for k in _lost_keys.values()) > conf.get("LOST_BUMPS_MAX"):
                _lost_epochs.add(alias)
                del _lost_keys[alias]
        _pending = True
    _write_marker()
    _start_retry_thread()


def ready() -> bool:
    """True when nothing lost is waiting to be replayed (replaying it now if needed)."""
    if not _pending and _marker_checked:
        return True
    return replay()


def replay() -> bool:
    """Bump every recorded tag (or the epoch); True once nothing is left to replay."""
    global _pending
    if not _replay_lock.acquire(blocking=False):
        return False  # another thread is replaying: this one does without the cache
    try:
        _check_marker_once()
        with _state_lock:
            keys = {alias: set(ks) for alias, ks in _lost_keys.items()}
            epochs = set(_lost_epochs)
        if not keys and not epochs:
            return True
        version = tags.new_version()
        try:
            for alias in sorted(epochs):
                backend.call_unguarded(alias, "set", tags.epoch_key(), version, None)
            for alias, ks in sorted(keys.items()):
                backend.call_unguarded(alias, "set_many", dict.fromkeys(ks, version), None)
        except backend.Failed:
            return False
        with _state_lock:
            _lost_epochs.difference_update(epochs)
            for alias, ks in keys.items():
                left = _lost_keys.get(alias, set()) - ks
                if left:
                    _lost_keys[alias] = left
                else:
                    _lost_keys.pop(alias, None)
            _pending = bool(_lost_keys or _lost_epochs)
            done = not _pending
        if done:
            _remove_marker()
            logger.warning("djcache: replayed bumps lost while the cache was unreachable (%s)",
                           "namespace epoch" if epochs else f"{sum(map(len, keys.values()))} tags")
        return done
    finally:
        _replay_lock.release()


def _start_retry_thread() -> None:
    global _retry_thread
    with _state_lock:
        if _retry_thread is not None:
            return
        _retry_thread = threading.Thread(target=_retry_loop, name="djcache-replay", daemon=True)
        _retry_thread.start()


def _retry_loop() -> None:
    global _retry_thread
    me = threading.current_thread()
    while True:
        time.sleep(conf.get("LOST_BUMPS_RETRY_INTERVAL"))
        replay()
        with _state_lock:  # decided under the lock record() sets _pending under
            if _retry_thread is not me:
                return  # forget() let a newer thread take over
            if not _pending:
                _retry_thread = None
                return


# --- the marker that outlives the process ---------------------------------------------------

def _marker_path(create: bool = False) -> str | None:
    """The marker's path, None when there is none to use (``create``: make its folder)."""
    folder = conf.get("LOST_BUMPS_MARKER_DIR")
    if folder is False:
        return None
    if folder is None:
        uid = os.getuid() if hasattr(os, "getuid") else 0
        folder = os.path.join(tempfile.gettempdir(), f"djcache-{uid}")
    if not create and not os.path.lexists(folder):
        return None  # no process here has ever lost a bump
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError as exc:
        _warn_marker(exc)
        return None
    # never write through a symlink or into a folder someone else controls
    owned = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    if os.path.islink(folder) or not owned or st.st_mode & 0o022:
        _warn_marker(PermissionError(f"{folder} is not a private folder"))
        return None
    alias = tags.tags_cache()
    cache_settings: Any = settings.CACHES.get(alias) or {}   # the stubs type it as object
    location = cache_settings.get("LOCATION")
    ident = hashlib.sha1(repr((tags.prefix(), alias, location)).encode()).hexdigest()[:16]
    return os.path.join(folder, f"lost-bumps-{ident}")


def _write_marker() -> None:
    path = _marker_path(create=True)
    if path is None:
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600))
    except OSError as exc:
        _warn_marker(exc)


def _remove_marker() -> None:
    path = _marker_path()
    if path is None:
        return
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        _warn_marker(exc)


def _warn_marker(exc: OSError) -> None:
    global _marker_warned
    if not _marker_warned:
        _marker_warned = True
        logger.warning("djcache: cannot keep the lost-bumps marker (%s); bumps lost in an "
                       "outage are forgotten if this process exits before replaying them", exc)


def _check_marker_once() -> None:
    """At the first cache operation of a process: bumps an earlier process lost -> epoch."""
    global _marker_checked, _pending
    if _marker_checked:
        return
    _marker_checked = True
    path = _marker_path()
    if path is not None and os.path.lexists(path):
        with _state_lock:
            _lost_epochs.add(tags.tags_cache())
            _pending = True


def forget() -> None:
    """Drop the in-memory record, as a new process starts without it (tests)."""
    global _pending, _marker_checked, _retry_thread
    with _state_lock:
        _lost_keys.clear()
        _lost_epochs.clear()
        _pending = False
        _marker_checked = False
        _retry_thread = None
