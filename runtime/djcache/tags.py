"""Tags: one per model (its lower-case label), per database alias, holding a version."""
from __future__ import annotations

import hashlib
import random
import re
import time
from typing import Any, NamedTuple

from django.apps import apps
from django.db import router

from . import backend, conf

_SAFE_KEY = re.compile(r"^[\x21-\x7e]{1,180}$")


def prefix():
    return conf.get("KEY_PREFIX")


def tag_key(db_alias, tag):
    return f"{prefix()}:t:{db_alias}:{tag}"


def epoch_key():
    """The namespace epoch: every entry carries it like a tag; bumping it invalidates all."""
    return f"{prefix()}:epoch"


def entry_key(key):
    key = str(key)
    if _SAFE_KEY.match(key):
        return f"{prefix()}:e:{key}"
    return f"{prefix()}:e:h:{hashlib.md5(key.encode()).hexdigest()}"


def lock_key(ekey):
    return f"{prefix()}:l:{hashlib.md5(ekey.encode()).hexdigest()}"


def entries_cache():
    return conf.get("CACHE")


def tags_cache():
    return conf.get("TAGS_CACHE") or conf.get("CACHE")


# --- versions -----------------------------------------------------------------------------
# A version is an int: (microseconds since the epoch) * 1024 + random low bits. A tag that
# was never bumped is initialised with a version whose timestamp part is 0.

def new_version():
    return int(time.time() * 1_000_000) * 1024 + random.randrange(1024)


def initial_version():
    return random.randrange(1, 1 << 30)


def version_time(v):
    return (v // 1024) / 1_000_000 if isinstance(v, int) else 0.0


# --- model <-> tag ------------------------------------------------------------------------

def _model(dep):
    if isinstance(dep, str):
        return apps.get_model(dep)
    return dep


def model_tag(model):
    return model._meta.concrete_model._meta.label_lower


def read_tags_for_model(model):
    """Tags an entry depending on ``model`` carries: the model and its MTI parents."""
    model = model._meta.concrete_model
    return [model_tag(model)] + [model_tag(p) for p in model._meta.get_parent_list()]


def write_tags_for_model(model):
    """Tags a write to ``model`` (one object) bumps: the model, its MTI parents, and for a
    many-to-many through model, both sides of the relation."""
    out = set(read_tags_for_model(model))
    out |= _through_sides().get(model_tag(model), set())
    return out


def resolve_deps(deps, using=None):
    """``deps`` (model classes or "app.Model" labels) -> sorted list of (db_alias, tag)."""
    out = set()
    for dep in deps:
        model = _model(dep)
        alias = conf.db_alias(using or router.db_for_write(model) or "default")
        for tag in read_tags_for_model(model):
            out.add((alias, tag))
    return sorted(out)


def table_key(db_table):
    """The name a statement's analysis gives ``db_table``: its last part, unquoted, lower-case
    (``'"sales"."order"'`` -> ``order``), as ``djcache.sql`` reads ``UPDATE "sales"."order"``."""
    from .sql import KW, QID, tokenize
    names = [t.value for t in tokenize(db_table) if t.kind in (KW, QID)]
    return (names[-1] if names else db_table).lower()


class _Maps(NamedTuple):
    owners: dict[str, set[str]]      # table -> tags of the concrete models owning it
    sides: dict[str, set[str]]       # through tag -> {side tags}
    referrers: dict[str, set[str]]   # tag -> tags of the models with a foreign key to it
    ignored: set[str]                # tables of database caches


_maps: _Maps | None = None


def _build_maps():
    owners: dict[str, set[str]] = {}
    sides: dict[str, set[str]] = {}
    referrers: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        owners.setdefault(table_key(model._meta.db_table), set()).add(model_tag(model))
        for fk in model._meta.local_fields:
            target: Any = fk.remote_field.model if fk.remote_field else None
            if target is not None and not isinstance(target, str):
                referrers.setdefault(model_tag(target), set()).add(model_tag(model))
        for field in model._meta.local_many_to_many:
            # a lazy "app.Model" reference stays a str when its app is not installed; the
            # stubs only know the resolved model
            through: Any = field.remote_field.through
            related: Any = field.remote_field.model
            if isinstance(through, str) or isinstance(related, str):
                continue
            sides.setdefault(model_tag(through), set()).update(
                {model_tag(model), model_tag(related)})
    ignored = {table_key(t) for t in _db_cache_tables()}
    return _Maps(owners, sides, referrers, ignored)


def _db_cache_tables():
    from django.conf import settings
    for cfg in getattr(settings, "CACHES", {}).values():
        if cfg.get("BACKEND", "").endswith("DatabaseCache") and cfg.get("LOCATION"):
            yield cfg["LOCATION"]


def _get_maps() -> _Maps:
    global _maps
    if _maps is None:
        _maps = _build_maps()
    return _maps


def reset_maps():
    global _maps
    _maps = None


def _through_sides():
    return _get_maps().sides


def models_of_table(table):
    """The concrete models whose db_table is ``table`` (schema-qualified or not)."""
    return [apps.get_model(tag) for tag in sorted(_get_maps().owners.get(table_key(table), ()))]


def read_tags_for_table(table):
    maps = _get_maps()
    table = table.lower()
    if table in maps.ignored:
        return set()
    return maps.owners.get(table) or {f"table:{table}"}


def write_tags_for_table(table):
    maps = _get_maps()
    table = table.lower()
    if table in maps.ignored:
        return set()
    owned = maps.owners.get(table)
    if not owned:
        return {f"table:{table}"}
    return _with_sides(owned, maps)


def _with_sides(model_tags, maps):
    out = set(model_tags)
    for t in model_tags:
        out |= maps.sides.get(t, set())
    return out


def cascade_tags_for_table(table):
    """Tags of every model whose rows ``TRUNCATE table CASCADE`` also removes: the models with
    a foreign key to it, and theirs, transitively."""
    maps = _get_maps()
    todo = list(maps.owners.get(table.lower(), ()))
    reached: set[str] = set()
    while todo:
        tag = todo.pop()
        for referrer in maps.referrers.get(tag, ()):
            if referrer not in reached:
                reached.add(referrer)
                todo.append(referrer)
    return _with_sides(reached, maps)


# --- cache operations on tags -------------------------------------------------------------

def get_versions(keys):
    if not keys:
        return {}
    return backend.call(tags_cache(), "get_many", list(keys))


def ensure_versions(keys, current):
    """Initialise missing tag keys (atomic add) and return the completed version dict."""
    missing = [k for k in keys if current.get(k) is None]
    if not missing:
        return current
    current = dict(current)
    for k in missing:
        backend.call(tags_cache(), "add", k, initial_version(), None)
    current.update(get_versions(missing))
    return current


def bump_epoch():
    """Invalidate every entry: each one carries the namespace epoch like a tag."""
    from . import recovery
    try:
        backend.call(tags_cache(), "set", epoch_key(), new_version(), None)
    except backend.Failed:
        recovery.record(tags_cache(), [epoch_key()])


def bump_now(db_alias, tags):
    from . import recovery, stats
    if not tags:
        return
    v = new_version()
    keys = [tag_key(db_alias, t) for t in tags]
    try:
        backend.call(tags_cache(), "set_many", dict.fromkeys(keys, v), None)
    except backend.Failed:
        recovery.record(tags_cache(), keys)
        return
    for t in tags:
        stats.record_bump(db_alias, t)
