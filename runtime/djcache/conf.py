"""Settings: an optional ``DJCACHE = {...}`` dict in Django settings.

Values are read on every access (cheaply), so ``override_settings(DJCACHE=...)`` works.
"""
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Cache alias that holds the entries (tagged values).
    "CACHE": "default",
    # Cache alias that holds the tag versions; None = same alias as the entry.
    "TAGS_CACHE": None,
    # Prefix for every key djcache writes.
    "KEY_PREFIX": "djc",
    # Timeout used when a call gives none. None would mean "never expires".
    "DEFAULT_TIMEOUT": 300,
    # +/- fraction applied to every numeric TTL so keys set together do not expire together.
    "JITTER": 0.10,
    # timeout="auto": bounds and shape of the traffic-aware TTL (see README).
    "AUTO_TTL_MIN": 30,
    "AUTO_TTL_MAX": 3600,
    "AUTO_TTL_HOT_READS_PER_MIN": 1.0,   # read rate at which hotness is 0.5
    "AUTO_TTL_WINDOW": 300,               # EWMA time constant in seconds
    # Stampede protection defaults (each call can override).
    "LOCK": False,            # single-flight recompute with an expiring add() lock
    "LOCK_TIMEOUT": 10,       # seconds a lock lives; waiters wait at most this long
    "STALE_SECONDS": 0,       # serve an expired (not invalidated) value for at most N s
    # Stats.
    "STATS": True,
    "STATS_FLUSH_INTERVAL": 5.0,
    "STATS_TOKEN": None,      # token accepted by the JSON view (Authorization: Bearer ...)
    # Invalidation sources.
    "SQL_WRAPPER": True,      # install the execute wrapper on every connection
    "SIGNALS": True,          # listen to post_save/post_delete/m2m_changed
    # Map database aliases that share data (e.g. a read replica) to the alias whose writes count.
    "DATABASE_ALIASES": {},
    # Bumps that failed while the cache was unreachable are replayed when it answers again
    # (see README "Cache outages"): at most this many tag keys are remembered, beyond that
    # the whole namespace is invalidated.
    "LOST_BUMPS_MAX": 1000,
    # Seconds between replay attempts of a background thread while bumps are pending.
    "LOST_BUMPS_RETRY_INTERVAL": 1.0,
    # Folder of the marker telling a restarted process that bumps were lost (None: a private
    # folder in the system temp dir; False: no marker).
    "LOST_BUMPS_MARKER_DIR": None,
    # Zero-code mode: cache aliases whose plain Django API (get_or_set, get then set,
    # cache_page, {% cache %}) stores values tagged with what their computation read.
    "AUTO_TAG": [],
    # Warnings about a failing cache are logged at most once per this many seconds per alias.
    "WARNING_INTERVAL": 60.0,
}


def get(name: str) -> Any:
    user = getattr(settings, "DJCACHE", None) or {}
    if name in user:
        return user[name]
    return DEFAULTS[name]


def db_alias(alias: str) -> str:
    """The alias whose tags a read or write on ``alias`` uses."""
    mapping = get("DATABASE_ALIASES") or {}
    return mapping.get(alias, alias)
