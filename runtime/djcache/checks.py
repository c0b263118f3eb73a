"""Django system checks for the ``DJCACHE`` setting (``manage.py check``).

djcache.E001  DJCACHE is not a dict
djcache.E002  an unknown key (a close match is suggested)
djcache.E003  a value of the wrong type
djcache.E004  CACHE or TAGS_CACHE names no cache in CACHES (a close match is suggested)
djcache.E005  DATABASE_ALIASES names a database that is not in DATABASES
djcache.E006  AUTO_TAG names a cache that is not in CACHES (a close match is suggested)
djcache.W001  CACHE or TAGS_CACHE is a DummyCache: it holds no tags, so nothing is ever served
djcache.W002  TAGS_CACHE (or CACHE) is a local-memory, file or database cache that culls at
              fewer than MIN_ENTRIES keys
"""
from __future__ import annotations

import difflib
import numbers

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .conf import DEFAULTS

# keys whose default (None, or a number that may also be None) does not tell their type
_ALLOWED = {
    "TAGS_CACHE": (str, type(None)),
    "STATS_TOKEN": (str, type(None)),
    "DEFAULT_TIMEOUT": (numbers.Real, type(None)),
    "LOST_BUMPS_MARKER_DIR": (str, type(None), bool),
    "AUTO_TAG": (list, tuple),
}
_CACHE_KEYS = ("CACHE", "TAGS_CACHE")
# Django's caches that delete keys past OPTIONS["MAX_ENTRIES"] (default 300); the file cache
# deletes a third of its files at random
_CULLING = (".locmem.LocMemCache", ".filebased.FileBasedCache", ".db.DatabaseCache")
# what the tags cache holds besides entries: a version per tag (with row and foreign-key tags,
# one per row or value written) and about 30 stats counters per family
MIN_ENTRIES = 10_000


def _allowed(key):
    if key in _ALLOWED:
        return _ALLOWED[key]
    default = DEFAULTS[key]
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, numbers.Real):
        return (numbers.Real,)
    return (type(default),)


def _type_names(types):
    names = {bool: "True/False", type(None): "None", numbers.Real: "a number", str: "a string",
             dict: "a dict", list: "a list", tuple: "a tuple of cache aliases"}
    return " or ".join(names.get(t, t.__name__) for t in types)


@register()
def check_settings(app_configs=None, **kwargs):
    user = getattr(settings, "DJCACHE", None)
    if user is None:
        return []
    if not isinstance(user, dict):
        return [Error(f"DJCACHE must be a dict, not {type(user).__name__}.", id="djcache.E001")]
    errors: list[CheckMessage] = []
    for key, value in user.items():
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1, cutoff=0.6)
            errors.append(Error(
                f"DJCACHE has an unknown key {key!r}.",
                hint=f"Did you mean {close[0]!r}?" if close else
                f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="djcache.E002"))
            continue
        types = _allowed(key)
        # True is an int to Python, never a number of seconds here
        wrong_bool = isinstance(value, bool) and bool not in types
        if wrong_bool or not isinstance(value, types):
            errors.append(Error(f"DJCACHE[{key!r}] must be {_type_names(types)}, not {value!r}.",
                                id="djcache.E003"))
    errors += _check_caches(user)
    errors += _check_culling(user)
    errors += _check_database_aliases(user.get("DATABASE_ALIASES"))
    errors += _check_auto_tag(user.get("AUTO_TAG"))
    return errors


def _check_auto_tag(aliases):
    if not isinstance(aliases, (list, tuple)):
        return []
    caches = getattr(settings, "CACHES", {})
    out: list[CheckMessage] = []
    for alias in aliases:
        if alias not in caches:
            out.append(_not_a_cache(f"DJCACHE['AUTO_TAG'] names {alias!r}", alias, caches, "E006"))
    return out


def _not_a_cache(what, alias, caches, code):
    close = difflib.get_close_matches(str(alias), caches, n=1, cutoff=0.6)
    return Error(f"{what}, which is not a cache in CACHES.",
                 hint=f"Did you mean {close[0]!r}?" if close else
                 f"CACHES has: {', '.join(sorted(caches)) or 'nothing'}.",
                 id=f"djcache.{code}")


def _check_caches(user):
    caches = getattr(settings, "CACHES", {})
    out: list[CheckMessage] = []
    for key in _CACHE_KEYS:
        alias = user.get(key, DEFAULTS[key])
        if not isinstance(alias, str):
            continue
        if alias not in caches:
            out.append(_not_a_cache(f"DJCACHE[{key!r}] is {alias!r}", alias, caches, "E004"))
        elif caches[alias].get("BACKEND", "").endswith(".DummyCache"):
            out.append(Warning(
                f"DJCACHE[{key!r}] is {alias!r}, a DummyCache: it keeps no tag versions or "
                f"entries, so djcache computes every value and serves none from the cache.",
                hint="Point it at a cache that stores values (locmem, Redis, Memcached...).",
                id="djcache.W001"))
    return out


def _check_culling(user):
    alias = user.get("TAGS_CACHE") or user.get("CACHE", DEFAULTS["CACHE"])
    config = getattr(settings, "CACHES", {}).get(alias) if isinstance(alias, str) else None
    if not config or not config.get("BACKEND", "").endswith(_CULLING):
        return []
    limit = (config.get("OPTIONS") or {}).get("MAX_ENTRIES", 300)
    if not isinstance(limit, int) or limit >= MIN_ENTRIES:
        return []
    return [Warning(
        f"The cache {alias!r} holding djcache's tag versions and stats keeps at most {limit} "
        f"keys and deletes some past that: stats lose counts and families, and entries whose "
        f"tag versions go are computed again.",
        hint=f'Set CACHES[{alias!r}]["OPTIONS"]["MAX_ENTRIES"] to {MIN_ENTRIES} or more, or '
             f"use Redis or Memcached.",
        id="djcache.W002")]


def _check_database_aliases(mapping):
    if not isinstance(mapping, dict):
        return []
    databases = getattr(settings, "DATABASES", {})
    out = []
    for source, target in mapping.items():
        for alias in (source, target):
            if alias not in databases:
                out.append(Error(
                    f"DJCACHE['DATABASE_ALIASES'] maps {source!r} to {target!r}, but {alias!r} "
                    f"is not a database in DATABASES.", id="djcache.E005"))
    return out
