"""Seeing writes: model signals and a SQL execute wrapper on every connection.

Transactions: a write inside an atomic block bumps its tags at once (so entries cached
before the transaction miss) and registers one on_commit callback per savepoint level that
bumps them again after COMMIT (so entries re-cached from old rows during the transaction
miss too). That callback is robust and placed first in the connection's hook list, so an
application hook that raises cannot keep it from running. Within one transaction a tag is
bumped at write time only once. While a connection has uncommitted writes to a tag, tagged
reads of that tag on the same thread
bypass the cache (read-your-writes, and nothing uncommitted is ever stored).
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction
from django.db.models import Model

from . import EVERYTHING, backend, conf, sql, tags

# --- transaction-aware bumping ------------------------------------------------------------


class _CommitBump:
    """The on_commit callback; it carries the tags written at its savepoint level."""

    def __init__(self, db_alias):
        self.db_alias = db_alias
        self.tags = set()

    def __call__(self):
        tags.bump_now(self.db_alias, self.tags)


def _live_callbacks(conn):
    out = []
    for entry in getattr(conn, "run_on_commit", ()):
        func = entry[1]
        if isinstance(func, _CommitBump):
            out.append((entry[0], func))
    return out


def _on_commit_first(conn, callback, using):
    """Register ``callback`` ahead of every hook already registered in this transaction.

    Django runs commit hooks in order and stops at the first non-robust one that raises, so
    a hook the application registered earlier could otherwise keep the commit bump from
    running. ``robust=True`` keeps a failure of ours (there should be none: bumps fail open)
    from stopping the application's hooks.
    """
    transaction.on_commit(callback, using=using, robust=True)
    hooks = conn.run_on_commit
    if hooks and hooks[-1][1] is callback:
        hooks.insert(0, hooks.pop())


def pending_tags(db_alias):
    """Tags with uncommitted writes on this thread's connection ``db_alias``."""
    if db_alias not in connections:
        return set()
    conn = connections[db_alias]
    out = set(_manual_tags(conn))
    if conn.in_atomic_block:
        for _, cb in _live_callbacks(conn):
            out |= cb.tags
    return out


# A manual transaction (set_autocommit(False) ... commit() or rollback()) has no on_commit:
# its tags are kept on the connection, bumped at write time, and bumped again by commit().
_MANUAL_TAGS = "_djcache_manual_tags"


def _manual_tags(conn):
    return conn.__dict__.get(_MANUAL_TAGS, ())


def _in_manual_transaction(conn):
    return not conn.in_atomic_block and conn.connection is not None and not conn.autocommit


def _end_manual_transaction(conn, committed):
    written = conn.__dict__.pop(_MANUAL_TAGS, None)
    if written and committed:
        tags.bump_now(conf.db_alias(conn.alias), written)


def _watch_manual_transactions(conn):
    """Wrap this connection's commit/rollback/set_autocommit (once per connection object)."""
    if conn.__dict__.get("_djcache_watched"):
        return
    conn._djcache_watched = True
    commit, rollback, set_autocommit = conn.commit, conn.rollback, conn.set_autocommit

    def watched_commit():
        commit()
        _end_manual_transaction(conn, committed=True)

    def watched_rollback():
        rollback()
        _end_manual_transaction(conn, committed=False)

    def watched_set_autocommit(autocommit, *args, **kwargs):
        set_autocommit(autocommit, *args, **kwargs)
        # some drivers commit what is open when autocommit comes back; a reconnection after
        # close() (the database rolled back) passes here too, and its bump costs one miss
        if autocommit:
            _end_manual_transaction(conn, committed=True)

    conn.commit, conn.rollback = watched_commit, watched_rollback
    conn.set_autocommit = watched_set_autocommit


def bump(using, tag_set):
    """Invalidate ``tag_set`` for writes on database connection ``using``."""
    tag_set = set(tag_set)
    if not tag_set:
        return
    alias = conf.db_alias(using)
    conn = connections[using]
    if _in_manual_transaction(conn):
        manual = conn.__dict__.setdefault(_MANUAL_TAGS, set())
        new = tag_set - manual
        manual |= new
        tags.bump_now(alias, new)
        return
    if not conn.in_atomic_block:
        tags.bump_now(alias, tag_set)
        return
    live = _live_callbacks(conn)
    done = set()
    for _, cb in live:
        done |= cb.tags
    new = tag_set - done
    if not new:
        return
    sids = set(conn.savepoint_ids)
    current = next((cb for s, cb in live if s == sids), None)
    if current is None:
        current = _CommitBump(alias)
        _on_commit_first(conn, current, using)
    current.tags |= new
    tags.bump_now(alias, new)


class UnknownTarget(LookupError, ValueError):
    """``djcache.invalidate`` was given a name that is no model, app label or table."""


def invalidate(*targets: type[Model] | str, using: str | None = None) -> None:
    """Invalidate by hand what writes djcache could not see (``djcache.invalidate(Product)``).

    Each target is a model class, an ``"app.Model"`` label, an app label (all its models), a
    table name (``db_table``, schema-qualified or not), ``"table:<name>"`` for a table no model
    owns (the tag ``"auto"`` entries record for it), or ``djcache.EVERYTHING`` (every entry).
    """
    if not targets:
        raise TypeError("djcache.invalidate() needs what to invalidate: a model, a label, an app "
                        "label, a table name, or djcache.EVERYTHING for every entry")
    pairs: set[tuple[str, str]] = set()
    everything = False
    for target in targets:
        if target == EVERYTHING:
            everything = True
        elif isinstance(target, str) and target.startswith("table:"):
            pairs.add((conf.db_alias(using or "default"), target.lower()))
        else:
            pairs.update((a, w) for a, t in tags.resolve_deps(_models_of(target), using=using)
                         for w in tags.every_row_tags(t))
    if everything:
        tags.bump_epoch()
    by_alias: dict[str, set[str]] = {}
    for db_alias, tag in pairs:
        by_alias.setdefault(db_alias, set()).add(tag)
    for db_alias, tag_set in sorted(by_alias.items()):
        bump(using or db_alias, tag_set)


def _models_of(target):
    from django.apps import apps
    if not isinstance(target, str):
        return [target]
    if target.count(".") == 1:
        try:
            return [apps.get_model(target)]
        except LookupError:
            pass
    try:
        return list(apps.get_app_config(target).get_models())
    except LookupError:
        pass
    owned = tags.models_of_table(target)
    if owned:
        return owned
    raise UnknownTarget(_unknown_message(target))


def _unknown_message(target):
    import difflib

    from django.apps import apps
    names = [m._meta.label for m in apps.get_models()]
    names += [c.label for c in apps.get_app_configs()]
    names += [m._meta.db_table for m in apps.get_models()]
    close = difflib.get_close_matches(target, names, n=3, cutoff=0.7)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return (f"djcache.invalidate({target!r}): no model label, app label or table has this name."
            f"{hint} It takes a model class, an 'app.Model' label, an app label, a table name,"
            f" 'table:<name>' for a table no model owns, or djcache.EVERYTHING ('*', every entry).")


# --- recording reads for depends_on="auto" ------------------------------------------------

_recorders: contextvars.ContextVar[tuple] = contextvars.ContextVar("djcache_recorders", default=())


class Recorder:
    def __init__(self):
        self.tags = set()   # {(db_alias, tag)}
        self.added = set()  # what the computation declared with add_dependencies()

    def __enter__(self):
        self._token = _recorders.set(_recorders.get() + (self,))
        return self

    def __exit__(self, *exc):
        _recorders.reset(self._token)


def add_dependencies(*deps: Any, using: str | None = None) -> None:
    """Inside the computation of a tagged entry (``get_or_set``, ``cache_page``, ``memoize``):
    the entry being computed also depends on ``deps`` (as ``tagged`` takes them), known only
    now, such as ``rows(Category, pk=product.category_id)``. Outside one it does nothing.
    Like an ``"auto"`` entry's tags, their versions are read after the computation: if one
    was bumped since it began (less 1 s of clock skew), the value is not stored."""
    pairs = set(tags.resolve_deps(deps, using=using))
    recs = _recorders.get()
    if recs:
        recs[-1].added |= pairs
    note_tags(pairs)   # "auto" and zero-code computations record them as read


def note_tags(pairs):
    """Tell every active recorder about (db_alias, tag) dependencies (nested entries)."""
    for rec in active_recorders():
        rec.tags.update(pairs)


# Recorders opened and closed out of order (zero-code mode: a miss opens one, the set of that
# key closes it), kept per thread beside the nested ones above.
_open = threading.local()


def _open_list() -> list:
    opened = getattr(_open, "recorders", None)
    if opened is None:
        opened = _open.recorders = []
    return opened


def open_recorder(rec):
    _open_list().append(rec)


def close_recorder(rec):
    opened = _open_list()
    if rec in opened:
        opened.remove(rec)


# set by djcache.autotag in zero-code mode: called before each statement is looked at
before_statement: Callable[[], None] | None = None


def active_recorders():
    if before_statement is not None:
        before_statement()
    opened = getattr(_open, "recorders", None)
    return _recorders.get() + tuple(opened) if opened else _recorders.get()


# --- the execute wrapper ------------------------------------------------------------------


def statement_text(statement, connection):
    """The SQL of ``statement`` as str: Django passes on whatever the caller gave ``execute``,
    which on PostgreSQL may be bytes or a psycopg ``sql.Composed``; None if it is neither."""
    if isinstance(statement, str):
        return statement
    if isinstance(statement, (bytes, bytearray, memoryview)):
        return bytes(statement).decode("utf-8", "replace")
    as_string = getattr(statement, "as_string", None)   # psycopg and psycopg2 sql objects
    if callable(as_string):
        try:
            text = as_string(connection.connection)
        except Exception:  # noqa: BLE001 - an object we cannot render is left alone
            return None
        return text if isinstance(text, str) else None
    return None


def analyse_statement(sql_text, connection):
    # MySQL reads \ as an escape in every string; PostgreSQL and SQLite only in E'...'
    return sql.analyse_cached(sql_text, connection.vendor == "mysql")


def execute_wrapper(execute, sql_text, params, many, context):
    if backend.in_guard():
        return execute(sql_text, params, many, context)
    connection = context["connection"]
    text = statement_text(sql_text, connection)
    if text is None:
        return execute(sql_text, params, many, context)
    recs = active_recorders()
    # executemany runs the statement once per parameter set: its pins name no single row
    values = None if many else params
    if sql.looks_like_plain_select(text):
        if recs:
            _record(analyse_statement(text, connection), values, context, recs)
        return execute(sql_text, params, many, context)
    analysis = analyse_statement(text, connection)
    if recs and analysis.reads:
        _record(analysis, values, context, recs)
    result = execute(sql_text, params, many, context)
    if analysis.writes and analysis.rowcount_ok and _rowcount(context) == 0:
        return result  # nothing changed
    note_written(connection, analysis, values)
    return result


def pinned_values(analysis, table, params):
    """Column -> the values ``analysis`` pins it to in ``table``, with ``params`` filled in."""
    out = {}
    for column, refs in analysis.pins.get(table, {}).items():
        values = [v for ref in refs for v in _values(ref, params)]
        if not any(v is _NO_VALUE for v in values):
            out[column] = values
    return out


def _values(ref, params):
    """The values a reference stands for: one, or the items of an array parameter (``"a"``)."""
    if ref[0] != "a":
        return [_param(ref, params)]
    items = _param(("p", ref[1]), params)
    return list(items) if isinstance(items, (list, tuple)) else [_NO_VALUE]


_NO_VALUE = object()


def held_values(analysis, table, params, pinned):
    """Column -> every value the rows a write touches in ``table`` held before it or hold after
    it, for the columns where the statement says so: an INSERT's values, the values an UPDATE
    or DELETE pins in its WHERE (with the value an UPDATE SETs the column to, if it does)."""
    if analysis.plain_insert or analysis.statement == "DELETE":
        return pinned
    if analysis.statement != "UPDATE" or analysis.sets is None:
        return {}
    out = {}
    for column, values in pinned.items():
        if column not in analysis.sets:
            out[column] = values
            continue
        ref = analysis.sets[column]
        new = _NO_VALUE if ref is None else _param(ref, params)
        if new is not _NO_VALUE:
            out[column] = values + [new]
    return out


def _param(ref, params):
    kind, key = ref
    if kind == "v":
        return key
    try:
        return params[key] if params is not None else _NO_VALUE
    except (LookupError, TypeError):
        return _NO_VALUE


def note_written(connection, analysis, params=None):
    """Bump what ``analysis`` says the statement wrote on ``connection``."""
    if analysis.writes:
        written = set()
        for table in analysis.writes:
            pinned = pinned_values(analysis, table, params)
            named_later = rows_named_by_signal(connection.alias, table, analysis)
            held = held_values(analysis, table, params, pinned)
            written |= tags.write_tags_for_table(table, pinned, named_later, held)
        for table in analysis.truncated_cascade:
            written |= tags.cascade_tags_for_table(table)
        if written:
            alias = connection.alias
            bump(alias, written)
            seen = _sql_bumped()
            if len(seen) > 1000:
                seen.clear()
            seen.update((alias, t) for t in written)
    if analysis.kind == "ddl":
        tags.reset_maps()


def _rowcount(context):
    try:
        return context["cursor"].rowcount
    except Exception:  # noqa: BLE001
        return -1


def _record(analysis, params, context, recs):
    alias = conf.db_alias(context["connection"].alias)
    pairs = set()
    for table in analysis.reads:
        for t in tags.read_tags_for_table(table, pinned_values(analysis, table, params)):
            pairs.add((alias, t))
    for rec in recs:
        rec.tags |= pairs


def install_wrapper(connection, **kwargs):
    if not conf.get("SQL_WRAPPER"):
        return
    if not any(w is execute_wrapper for w in connection.execute_wrappers):
        connection.execute_wrappers.append(execute_wrapper)
    _watch_manual_transactions(connection)
    _watch_copy(connection)


def _watch_copy(connection):
    """psycopg 3's ``cursor.copy()`` does not go through Django's execute wrappers: give the
    raw connection a cursor class whose ``copy`` reports the statement when it is done."""
    raw: Any = getattr(connection, "connection", None)
    factory = getattr(raw, "cursor_factory", None)
    if factory is None or not hasattr(factory, "copy") or \
            getattr(factory, "djcache_connection", None) is connection:
        return
    raw.cursor_factory = _copy_reporting(factory, connection)


def _copy_reporting(factory, connection):
    @contextlib.contextmanager
    def copy(self, statement, params=None, **kwargs):
        with factory.copy(self, statement, params, **kwargs) as copying:
            yield copying
        text = statement_text(statement, connection)
        if text is not None and not backend.in_guard():
            note_written(connection, analyse_statement(text, connection))

    return type(f"CopyReporting{factory.__name__}", (factory,),
                {"copy": copy, "djcache_connection": connection})


# --- signals ------------------------------------------------------------------------------
# A write that went through the execute wrapper was bumped right after its statement; the
# post_save/post_delete/m2m_changed that follows it would only bump the same tags again.
# So the wrapper notes (alias, tag) on this thread and a signal consumes the note instead of
# bumping. Signals for writes the wrapper did not see (wrapper disabled, or a signal sent by
# hand) find no note and bump.
_thread = threading.local()


def _sql_bumped():
    s = getattr(_thread, "sql_bumped", None)
    if s is None:
        s = _thread.sql_bumped = set()
    return s


def _forget_sql_bumps():
    """A write operation starts: the statements noted so far belong to earlier writes, and a
    signal consuming their notes would skip bumps its own write needs."""
    _sql_bumped().clear()


def _signal_bump(using, tag_set):
    seen = _sql_bumped()
    todo = set()
    for t in tag_set:
        if (using, t) in seen:
            seen.discard((using, t))
        else:
            todo.add(t)
    bump(using, todo)



# Writes whose rows a signal names after the statement. A save that INSERTs learns the new
# row's primary key only after the statement (an AutoField); an m2m add/remove/clear deletes
# through rows by their own pk, not by the sides'. pre_save / m2m_changed("pre_*") mark the
# operation as in progress on this thread; while it is, the wrapper bumps only the model tags
# of the rows the signal will name, and post_save / m2m_changed("post_*") bumps those rows.
# An operation that never reaches its post signal (a receiver raised) is completed as "every
# row" at the next start of the same operation on the thread or at the end of the request.


class _Operation:
    def __init__(self, using, key, names_rows_of, inserts_only):
        self.using = using
        self.key = key                          # (what, id(instance)) to pair pre with post
        self.names_rows_of = names_rows_of      # model tags whose rows the post signal names
        self.inserts_only = inserts_only        # a save: only its INSERTs are deferred
        self.deferred: set[str] = set()


def _operations():
    stack = getattr(_thread, "operations", None)
    if stack is None:
        stack = _thread.operations = []
    return stack


def rows_named_by_signal(using, table, analysis):
    """Model tags of ``table`` (and its m2m sides) whose rows the operation in progress on this
    thread names when it ends; recorded on it in case it never does."""
    stack = _operations()
    if not stack or stack[-1].using != using:
        return set()
    op = stack[-1]
    if op.inserts_only and not analysis.plain_insert:
        return set()
    owned = tags.model_tags_of_table(table)
    if op.inserts_only and not owned <= op.names_rows_of:
        return set()
    named = op.names_rows_of & (owned | tags.side_tags(owned))
    op.deferred |= named
    return named


def _depth_of(stack, key):
    return next((d for d in range(len(stack) - 1, -1, -1) if stack[d].key == key), None)


def _abandon(stack, keep=0):
    """Operations that will not reach their post signal: their rows are not known."""
    while len(stack) > keep:
        op = stack.pop()
        if op.deferred:
            bump(op.using, {t for tag in op.deferred for t in tags.row_write_tags(tag, None)})


def _begin(using, key, names_rows_of, inserts_only):
    _forget_sql_bumps()
    stack = _operations()
    retried = _depth_of(stack, key)   # an earlier run of this operation that failed
    if retried is not None:
        _abandon(stack, keep=retried)
    stack.append(_Operation(using or "default", key, names_rows_of, inserts_only))


def _end(key):
    stack = _operations()
    depth = _depth_of(stack, key)
    if depth is not None:
        _abandon(stack, keep=depth + 1)   # operations nested in this one that failed
        stack.pop()


def end_of_request(**kwargs):
    _abandon(_operations())
    _forget_sql_bumps()


def on_pre_delete(sender, **kwargs):
    _forget_sql_bumps()


def on_pre_save(sender, instance=None, using=None, **kwargs):
    if kwargs.get("raw") or not conf.get("SIGNALS"):
        return
    _begin(using, ("save", id(instance)), set(tags.read_tags_for_model(sender)), inserts_only=True)


def on_save_or_delete(sender, instance=None, using=None, **kwargs):
    if kwargs.get("raw") or not conf.get("SIGNALS"):
        return
    _end(("save", id(instance)))
    _signal_bump(using or "default",
                 tags.write_tags_for_model(sender, instance, created=bool(kwargs.get("created"))))


def on_m2m_changed(sender, instance=None, action=None, model=None, pk_set=None, using=None,
                   **kwargs):
    if not action or not conf.get("SIGNALS"):
        return
    key = ("m2m", id(sender), id(instance))
    if action.startswith("pre_"):
        sides = set(tags.read_tags_for_model(type(instance)))
        if model is not None:
            sides |= set(tags.read_tags_for_model(model))
        _begin(using, key, sides, inserts_only=False)
        return
    _end(key)
    # the through table's own rows are not named; its sides' rows are, below
    tag_set = {t for tag in tags.read_tags_for_model(sender) for t in tags.every_row_tags(tag)}
    instance_model = type(instance)
    instance_row = tags.pk_text(instance_model._meta.pk, instance.pk)
    for tag in tags.read_tags_for_model(instance_model):
        tag_set |= tags.side_write_tags(tag, None if instance_row is None else {instance_row})
    if model is not None:
        related = None if pk_set is None else {tags.pk_text(model._meta.pk, pk) for pk in pk_set}
        for tag in tags.read_tags_for_model(model):
            tag_set |= tags.side_write_tags(tag, None if related is None or None in related
                                            else related)
    _signal_bump(using or "default", tag_set)


def _run_first(signal):
    """Move the receiver connected last to the front of ``signal``'s list."""
    with signal.lock:
        signal.receivers.insert(0, signal.receivers.pop())
        signal.sender_receivers_cache.clear()


def connect():
    from django.db.backends.signals import connection_created
    from django.core.signals import request_finished
    from django.db.models.signals import (m2m_changed, post_delete, post_save, pre_delete,
                                          pre_save)

    pre_save.connect(on_pre_save, dispatch_uid="djcache.pre_save")
    post_save.connect(on_save_or_delete, dispatch_uid="djcache.post_save")
    _run_first(post_save)   # a receiver of the application that raises cannot skip it
    pre_delete.connect(on_pre_delete, dispatch_uid="djcache.pre_delete")
    post_delete.connect(on_save_or_delete, dispatch_uid="djcache.post_delete")
    m2m_changed.connect(on_m2m_changed, dispatch_uid="djcache.m2m_changed")
    connection_created.connect(install_wrapper, dispatch_uid="djcache.connection_created")
    request_finished.connect(end_of_request, dispatch_uid="djcache.request_finished")
    # connections opened before the app was ready
    for conn in connections.all():
        if getattr(conn, "connection", None) is not None:
            install_wrapper(conn)
