"""The commit bump runs whatever the application's own on_commit hooks do (issue 14, item 6).

An application hook registered earlier in the same transaction raises during COMMIT; Django
stops running hooks at the first one that raises. The entry another thread cached from
pre-commit rows during the transaction must still be invalid after the commit.
"""
import threading

import pytest
from django.db import connections, transaction

from djcache import tagged
from tests.testapp.models import Category

MISSING = object()


class HookFailed(Exception):
    pass


def _failing_hook():
    raise HookFailed("application hook")


def _in_thread(fn):
    out = []

    def run():
        try:
            out.append(fn())
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0]


def write_after_failing_hook(using, cat, h, cache_from_other_thread):
    with pytest.raises(HookFailed):
        with transaction.atomic(using=using):
            transaction.on_commit(_failing_hook, using=using)
            Category.objects.using(using).filter(pk=cat.pk).update(name="new")
            assert _in_thread(cache_from_other_thread) == "old"
            # the other thread's entry is served while the transaction is open
            assert _in_thread(lambda: h.get("name", MISSING)) == "old"
    assert Category.objects.using(using).get(pk=cat.pk).name == "new"  # committed


@pytest.mark.django_db(transaction=True)
def test_raising_hook_before_the_bump_sqlite():
    cat = Category.objects.create(name="old")
    h = tagged(Category)
    # SQLite locks the table for other connections during the write transaction, so the
    # other thread stores the value it read before the transaction started
    pre_commit_name = Category.objects.get(pk=cat.pk).name

    def cache_pre_commit_name():
        assert h.set("name", pre_commit_name)
        return pre_commit_name

    write_after_failing_hook("default", cat, h, cache_pre_commit_name)
    assert h.get("name", MISSING) is MISSING, "entry cached from pre-commit rows survived"


@pytest.mark.django_db(transaction=True)
def test_bump_hook_runs_before_hooks_registered_earlier():
    """Pins the shape of Django's run_on_commit list that djcache relies on."""
    cat = Category.objects.create(name="old")
    ran = []
    with transaction.atomic():
        transaction.on_commit(lambda: ran.append("application"))
        Category.objects.filter(pk=cat.pk).update(name="new")
        conn = connections["default"]
        first = conn.run_on_commit[0]
        assert type(first[1]).__name__ == "_CommitBump"
        assert first[2] is True, "registered robust: a failure of the bump never stops the others"
    assert ran == ["application"]
