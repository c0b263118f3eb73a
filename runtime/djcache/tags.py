"""Tags: one per model (its lower-case label), per database alias, holding a version.

Row tags: an entry that depends on one row of a model carries two tags instead of the
model's: ``<label>#*`` (bumped by every write to the model whose rows are not known) and
``<label>#<pk>`` (bumped by writes that name that row). A write naming its rows bumps the
model tag (entries on the whole table) and those rows' tags; a write whose rows are not
known bumps the model tag and ``<label>#*``. Each write is still one ``set_many``.

Foreign-key tags: an entry that depends on the rows of a model whose foreign key column
``c`` holds value ``v`` (``tagged(Review, product=5)``) carries ``<label>@c#*`` and
``<label>@c#v``. A write that names the values its rows have in ``c`` before and after (an
INSERT, an UPDATE or DELETE whose WHERE pins ``c`` and that does not SET it to something
unknown) bumps those values' tags; any other write to the table bumps ``<label>@c#*``. A
write whose rows are not known bumps ``<label>@c#*`` for every foreign key of the model.
"""
from __future__ import annotations

import hashlib
import random
import re
import time
from typing import Any, NamedTuple

from django.apps import apps
from django.db import router
from django.db.models import Model

from . import backend, conf

_SAFE_KEY = re.compile(r"^[\x21-\x7e]{1,180}$")
_SAFE_PK = re.compile(r"^[\x21-\x7e]{1,64}$")
ANY_ROW = "*"
# a write naming more rows than this bumps ``<label>#*`` instead of each row
ROWS_MAX = 500


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


def row_tag(tag, pk_text):
    """The tag of one row of the model tagged ``tag`` (``pk_text``: see :func:`pk_text`)."""
    return f"{tag}#{pk_text}"


def any_row_tag(tag):
    return f"{tag}#{ANY_ROW}"


def value_tag(tag, column, value_text):
    """The tag of the rows of the model tagged ``tag`` whose ``column`` holds a value."""
    return f"{tag}@{column}#{value_text}"


def any_value_tag(tag, column):
    return f"{tag}@{column}#{ANY_ROW}"


def fk_columns(tag):
    """(column, field) of the foreign keys in the table of the model tagged ``tag``."""
    return _get_maps().fks.get(tag, ())


def any_value_tags(tag):
    """Every foreign-key tag of the model tagged ``tag``: what a write to unknown rows bumps."""
    return {any_value_tag(tag, column) for column, _ in fk_columns(tag)}


def value_write_tags(tag, column, values):
    """Tags a write bumps for ``column`` when its rows held or now hold ``values`` (value
    texts) there; None: not known."""
    if values is None or len(values) > ROWS_MAX:
        return {any_value_tag(tag, column)}
    return {value_tag(tag, column, v) for v in values}


def stats_name(tag):
    """The name stats count a tag under: one per model for all its rows (``shop.product#row``),
    so the number of names stays bounded."""
    model, sep, row = tag.partition("#")
    return tag if not sep or row == ANY_ROW else f"{model}#row"


def pk_text(field, value):
    """A primary key (or a foreign key to one) as row tags spell it: the field's Python value
    as text, so ``42``, ``"42"`` and a UUID as hex or with dashes name the same row. None when
    the value is not one (NULL, or nothing the field accepts)."""
    try:
        value = field.to_python(value)
    except Exception:  # noqa: BLE001 - a value we cannot read names no row we know
        return None
    if value is None:
        return None
    text = str(value)
    return text if _SAFE_PK.match(text) else "h" + hashlib.md5(text.encode()).hexdigest()


def row_write_tags(tag, rows):
    """Tags a write to ``rows`` (pk texts; None: not known) of the model tagged ``tag`` bumps,
    foreign-key tags aside (see :func:`every_row_tags`)."""
    if rows is None or len(rows) > ROWS_MAX:
        return {tag, any_row_tag(tag)}
    return {tag} | {row_tag(tag, r) for r in rows}


def every_row_tags(tag):
    """Tags a write to rows of the model tagged ``tag`` that are not known at all bumps."""
    return row_write_tags(tag, None) | any_value_tags(tag)


def row_read_tags(tag, pk):
    """Tags an entry depending on row ``pk`` of the model tagged ``tag`` carries."""
    return {any_row_tag(tag), row_tag(tag, pk)}


def read_tags_for_model(model):
    """Tags an entry depending on ``model`` carries: the model and its MTI parents."""
    model = model._meta.concrete_model
    return [model_tag(model)] + [model_tag(p) for p in model._meta.get_parent_list()]


def write_tags_for_model(model, instance=None, created=False):
    """Tags a write to ``model`` bumps: the model and its MTI parents (the row of ``instance``
    when given, every row otherwise), and for a many-to-many through model, both sides of the
    relation (the rows its foreign keys name, when ``instance`` is given). Foreign-key tags:
    the values of a row just ``created``; a row saved or deleted may have held others."""
    rows = None
    if instance is not None:
        pk = pk_text(model._meta.pk, instance.pk)
        rows = None if pk is None else {pk}
    out: set[str] = set()
    for tag in read_tags_for_model(model):
        out |= row_write_tags(tag, rows)
        for column, field in fk_columns(tag):
            value = pk_text(field, getattr(instance, field.attname)) if created else None
            out |= value_write_tags(tag, column, None if value is None else {value})
    for side, _, field in _through_sides().get(model_tag(model), ()):
        side_row = None if instance is None else pk_text(field, getattr(instance, field.attname))
        out |= side_write_tags(side, None if side_row is None else {side_row})
    return out


def side_write_tags(side, rows):
    """Tags a many-to-many change bumps on one side: its ``rows`` (None: not known), and every
    foreign-key tag of that side, as an entry on a model covers its many-to-many relations."""
    return row_write_tags(side, rows) | any_value_tags(side)


NO_PK = object()


class Rows:
    """A dependency on the rows of ``model`` whose foreign keys hold the given values (or on
    the row with the given ``pk``): ``rows(Review, product=5)``, ``rows(Product, pk=42)``."""

    def __init__(self, model, pk=NO_PK, **columns):
        self.model = _model(model)
        self.pk = pk
        self.columns = columns
        if not isinstance(self.model, type) or not issubclass(self.model, Model):
            raise TypeError(f"rows({model!r}): takes a model class or an 'app.Model' label")
        if len(columns) + (pk is not NO_PK) != 1:
            raise TypeError(f"rows({self.model._meta.label}, ...) takes pk=... or one foreign "
                            "key=value, such as product=5 or product_id=5")
        self.fields = {name: _foreign_key(self.model, name) for name in columns}

    def __repr__(self):
        shown = [f"pk={self.pk!r}"] if self.pk is not NO_PK else []
        shown += [f"{name}={value!r}" for name, value in self.columns.items()]
        return f"rows({self.model._meta.label}, {', '.join(shown)})"

    def read_tags(self):
        if self.pk is not NO_PK:
            pk_str = pk_text(self.model._meta.pk, self.pk)
            if pk_str is None:
                raise TypeError(f"tagged(): {self.pk!r} is not a primary key of "
                                f"{self.model._meta.label}")
            return {t for tag in read_tags_for_model(self.model)
                    for t in row_read_tags(tag, pk_str)}
        (name, value), = self.columns.items()
        field = self.fields[name]
        value_str = pk_text(field, value.pk if isinstance(value, Model) else value)
        if value_str is None:
            raise TypeError(f"tagged(): {value!r} is not a value of {self.model._meta.label}."
                            f"{field.name}")
        # the rows' other tables in an MTI chain are depended on whole: their rows are not named
        owner = model_tag(field.model)
        out = {t for t in read_tags_for_model(self.model) if t != owner}
        return out | {any_value_tag(owner, field.column.lower()),
                      value_tag(owner, field.column.lower(), value_str)}


def _foreign_key(model, name):
    field = next((f for f in model._meta.concrete_fields if name in (f.name, f.attname)), None)
    if field is None or not field.is_relation or field.primary_key:
        raise TypeError(f"rows({model._meta.label}, {name}=...): {name} is not a foreign key of "
                        f"{model._meta.label} (foreign-key tags name a ForeignKey or OneToOneField"
                        " that is not the primary key; use pk=... for one row)")
    return field


def resolve_deps(deps, using=None, pk=NO_PK):
    """``deps`` (model classes, "app.Model" labels, model instances, :class:`Rows`) -> sorted
    list of (db_alias, tag). An instance, or a model with ``pk``, is a dependency on one row."""
    out: set[tuple[str, str]] = set()
    for dep in deps:
        if isinstance(dep, Rows):
            model, tags_of_dep = dep.model, dep.read_tags()
        elif isinstance(dep, Model) or pk is not NO_PK:
            model = type(dep) if isinstance(dep, Model) else _model(dep)
            tags_of_dep = Rows(model, pk=dep.pk if isinstance(dep, Model) else pk).read_tags()
        else:
            model = _model(dep)
            tags_of_dep = set(read_tags_for_model(model))
        alias = conf.db_alias(using or router.db_for_write(model) or "default")
        out.update((alias, t) for t in tags_of_dep)
    return sorted(out)


def table_key(db_table):
    """The name a statement's analysis gives ``db_table``: its last part, unquoted, lower-case
    (``'"sales"."order"'`` -> ``order``), as ``djcache.sql`` reads ``UPDATE "sales"."order"``."""
    from .sql import KW, QID, tokenize
    names = [t.value for t in tokenize(db_table) if t.kind in (KW, QID)]
    return (names[-1] if names else db_table).lower()


class _Maps(NamedTuple):
    owners: dict[str, set[str]]      # table -> tags of the concrete models owning it
    pks: dict[str, Any]              # model tag -> its primary key field
    # through tag -> (side tag, column of the through table pointing at it, that field)
    sides: dict[str, list[tuple[str, str, Any]]]
    referrers: dict[str, set[str]]   # tag -> tags of the models with a foreign key to it
    fks: dict[str, list[tuple[str, Any]]]   # tag -> (column, field) of its table's foreign keys
    ignored: set[str]                # tables of database caches


_maps: _Maps | None = None


def _build_maps():
    owners: dict[str, set[str]] = {}
    pks: dict[str, Any] = {}
    sides: dict[str, list[tuple[str, str, Any]]] = {}
    referrers: dict[str, set[str]] = {}
    fks: dict[str, list[tuple[str, Any]]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        owners.setdefault(table_key(model._meta.db_table), set()).add(model_tag(model))
        pks[model_tag(model)] = model._meta.pk
        for fk in model._meta.local_fields:
            target: Any = fk.remote_field.model if fk.remote_field else None
            if target is not None and not isinstance(target, str):
                referrers.setdefault(model_tag(target), set()).add(model_tag(model))
            if target is not None and fk.column and not fk.primary_key:
                fks.setdefault(model_tag(model), []).append((fk.column.lower(), fk))
        for field in model._meta.local_many_to_many:
            # a lazy "app.Model" reference stays a str when its app is not installed; the
            # stubs only know the resolved model
            through: Any = field.remote_field.through
            related: Any = field.remote_field.model
            if isinstance(through, str) or isinstance(related, str):
                continue
            source_fk = through._meta.get_field(field.m2m_field_name())
            target_fk = through._meta.get_field(field.m2m_reverse_field_name())
            sides[model_tag(through)] = [(model_tag(model), source_fk.column.lower(), source_fk),
                                         (model_tag(related), target_fk.column.lower(), target_fk)]
    ignored = {table_key(t) for t in _db_cache_tables()}
    return _Maps(owners, pks, sides, referrers, fks, ignored)


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


def model_tags_of_table(table):
    """Tags of the concrete models whose db_table is ``table`` (as ``djcache.sql`` names it)."""
    return set(_get_maps().owners.get(table.lower(), ()))


def models_of_table(table):
    """The concrete models whose db_table is ``table`` (schema-qualified or not)."""
    return [apps.get_model(tag) for tag in sorted(_get_maps().owners.get(table_key(table), ()))]


def read_tags_for_table(table, pinned=None):
    """Tags an entry reading ``table`` records; ``pinned`` as in :func:`write_tags_for_table`
    (a read limited to named rows depends on those rows only)."""
    maps = _get_maps()
    table = table.lower()
    if table in maps.ignored:
        return set()
    owned = maps.owners.get(table)
    if not owned:
        return {f"table:{table}"}
    pinned = pinned or {}
    out = set()
    for tag in owned:
        # rows of a through table read by one side's key: every write to the through table
        # bumps the rows of that side it names (or all of them), so those rows stand for it
        by_side = [(side, rows) for side, column, field in maps.sides.get(tag, ())
                   if (rows := pinned_rows(field, pinned.get(column))) is not None]
        field = maps.pks[tag]
        by_side.append((tag, pinned_rows(field, pinned.get(field.column.lower()))))
        model, rows = next(((m, r) for m, r in by_side if r is not None and len(r) <= ROWS_MAX),
                           (tag, None))
        if rows is not None:
            for row in rows:
                out |= row_read_tags(model, row)
            continue
        # rows read by a foreign key's values: the tags of those values
        column, values = next(((c, v) for c, f in maps.fks.get(tag, ())
                               if (v := pinned_rows(f, pinned.get(c))) is not None
                               and len(v) <= ROWS_MAX), (None, None))
        if values is None:
            out.add(tag)
        else:
            out.add(any_value_tag(tag, column))
            out |= {value_tag(tag, column, v) for v in values}
    return out


def pk_column(tag):
    """The primary key column (lower-case) of the model tagged ``tag``, or None."""
    field = _get_maps().pks.get(tag)
    return field.column.lower() if field is not None else None


def pinned_rows(field, values):
    """Values a statement pins a column to -> pk texts, or None if one is not a key."""
    if values is None:
        return None
    rows = {pk_text(field, v) for v in values}
    return None if None in rows else rows


def write_tags_for_table(table, pinned=None, rows_named_later=frozenset(), held=None):
    """Tags a write to ``table`` bumps. ``pinned``: column -> the values the statement pins it
    to (see ``djcache.sql.pins``), so the rows written can be named. ``rows_named_later``: model
    tags whose rows a signal names after the statement (a save, an m2m change in progress);
    for those the statement bumps the model tag only, unless it names the rows itself.
    ``held``: column -> every value the written rows held or now hold there (columns left out:
    not known), for the foreign-key tags."""
    maps = _get_maps()
    table = table.lower()
    pinned = pinned or {}
    held = held or {}
    if table in maps.ignored:
        return set()
    owned = maps.owners.get(table)
    if not owned:
        return {f"table:{table}"}

    def rows_write(tag, field, column):
        rows = pinned_rows(field, pinned.get(column))
        return {tag} if rows is None and tag in rows_named_later else row_write_tags(tag, rows)

    out = set()
    for tag in owned:
        field = maps.pks[tag]
        out |= rows_write(tag, field, field.column.lower())
        for column, fk in maps.fks.get(tag, ()):
            out |= value_write_tags(tag, column, pinned_rows(fk, held.get(column)))
        for side, column, side_field in maps.sides.get(tag, ()):
            out |= rows_write(side, side_field, column) | any_value_tags(side)
    return out


def side_tags(model_tags):
    """The m2m sides of the through models among ``model_tags``."""
    maps = _get_maps()
    return {side for t in model_tags for side, _, _ in maps.sides.get(t, ())}


def _with_sides(model_tags, maps):
    out = set()
    for t in model_tags:
        out |= every_row_tags(t)
        for side, _, _ in maps.sides.get(t, ()):
            out |= every_row_tags(side)
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
    lost = []   # keys another process initialised (or bumped) first: read what it wrote
    for k in missing:
        version = initial_version()
        if backend.call(tags_cache(), "add", k, version, None):
            current[k] = version
        else:
            lost.append(k)
    if lost:
        current.update(get_versions(lost))
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
