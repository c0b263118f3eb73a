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

import contextvars
import threading

from django.db import connections, transaction
from django.db.models import Model

from . import backend, conf, sql, tags

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
    if not conn.in_atomic_block:
        return set()
    out = set()
    for _, cb in _live_callbacks(conn):
        out |= cb.tags
    return out


def bump(using, tag_set):
    """Invalidate ``tag_set`` for writes on database connection ``using``."""
    tag_set = set(tag_set)
    if not tag_set:
        return
    alias = conf.db_alias(using)
    conn = connections[using]
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


def invalidate(*deps: type[Model] | str, using: str | None = None) -> None:
    """Bump the tags of the given models by hand (``djcache.invalidate(Product)``)."""
    for db_alias, tag in tags.resolve_deps(deps, using=using):
        # resolve_deps gives read tags; bump exactly those
        bump(using or db_alias, {tag})


# --- recording reads for depends_on="auto" ------------------------------------------------

_recorders: contextvars.ContextVar[tuple] = contextvars.ContextVar("djcache_recorders", default=())


class Recorder:
    def __init__(self):
        self.tags = set()   # {(db_alias, tag)}

    def __enter__(self):
        self._token = _recorders.set(_recorders.get() + (self,))
        return self

    def __exit__(self, *exc):
        _recorders.reset(self._token)


def note_tags(pairs):
    """Tell every active recorder about (db_alias, tag) dependencies (nested entries)."""
    for rec in _recorders.get():
        rec.tags.update(pairs)


# --- the execute wrapper ------------------------------------------------------------------


def execute_wrapper(execute, sql_text, params, many, context):
    if backend.in_guard() or not isinstance(sql_text, str):
        return execute(sql_text, params, many, context)
    recs = _recorders.get()
    if sql.looks_like_plain_select(sql_text):
        if recs:
            _record(sql.analyse_cached(sql_text), context, recs)
        return execute(sql_text, params, many, context)
    analysis = sql.analyse_cached(sql_text)
    if recs and analysis.reads:
        _record(analysis, context, recs)
    result = execute(sql_text, params, many, context)
    if analysis.writes and analysis.rowcount_ok and _rowcount(context) == 0:
        return result  # nothing changed
    if analysis.writes:
        written = set()
        for table in analysis.writes:
            written |= tags.write_tags_for_table(table)
        if written:
            alias = context["connection"].alias
            bump(alias, written)
            seen = _sql_bumped()
            if len(seen) > 1000:
                seen.clear()
            seen.update((alias, t) for t in written)
    if analysis.kind == "ddl":
        tags.reset_maps()
    return result


def _rowcount(context):
    try:
        return context["cursor"].rowcount
    except Exception:  # noqa: BLE001
        return -1


def _record(analysis, context, recs):
    alias = conf.db_alias(context["connection"].alias)
    pairs = set()
    for table in analysis.reads:
        for t in tags.read_tags_for_table(table):
            pairs.add((alias, t))
    for rec in recs:
        rec.tags |= pairs


def install_wrapper(connection, **kwargs):
    if not conf.get("SQL_WRAPPER"):
        return
    if not any(w is execute_wrapper for w in connection.execute_wrappers):
        connection.execute_wrappers.append(execute_wrapper)


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


def _signal_bump(using, tag_set):
    seen = _sql_bumped()
    todo = set()
    for t in tag_set:
        if (using, t) in seen:
            seen.discard((using, t))
        else:
            todo.add(t)
    bump(using, todo)



def on_save_or_delete(sender, instance=None, using=None, **kwargs):
    if kwargs.get("raw") or not conf.get("SIGNALS"):
        return
    _signal_bump(using or "default", tags.write_tags_for_model(sender))


def on_m2m_changed(sender, instance=None, action=None, model=None, using=None, **kwargs):
    if not action or not action.startswith("post_") or not conf.get("SIGNALS"):
        return
    tag_set = set(tags.write_tags_for_model(sender))
    tag_set |= set(tags.read_tags_for_model(type(instance)))
    if model is not None:
        tag_set |= set(tags.read_tags_for_model(model))
    _signal_bump(using or "default", tag_set)


def connect():
    from django.db.backends.signals import connection_created
    from django.db.models.signals import m2m_changed, post_delete, post_save

    post_save.connect(on_save_or_delete, dispatch_uid="djcache.post_save")
    post_delete.connect(on_save_or_delete, dispatch_uid="djcache.post_delete")
    m2m_changed.connect(on_m2m_changed, dispatch_uid="djcache.m2m_changed")
    connection_created.connect(install_wrapper, dispatch_uid="djcache.connection_created")
    # connections opened before the app was ready
    for conn in connections.all():
        if getattr(conn, "connection", None) is not None:
            install_wrapper(conn)
