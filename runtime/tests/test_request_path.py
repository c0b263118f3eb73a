"""What a request pays for in cache round trips (docs/performance-runtime.md, "Where the p99
comes from"): a first miss does not re-read the tag versions it initialised itself, and no
request flushes the stats counters."""
import threading

import pytest
from django.core.cache import caches

import djcache
from djcache import backend, core, rows, stats, tagged, tags
from tests.testapp.models import Category, Product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calls(monkeypatch):
    """The cache operations djcache makes, in order."""
    made = []
    real = backend.call_unguarded

    def counting(alias, op, *args, **kwargs):
        made.append(op)
        return real(alias, op, *args, **kwargs)
    monkeypatch.setattr(backend, "call_unguarded", counting)
    return made


def test_first_miss_on_new_tags_does_not_read_them_back(calls):
    category = Category.objects.create(name="a")
    calls.clear()   # the create's bump
    tagged(category).get_or_set("category:1", lambda: "a", 300)
    # entry + versions, one add per tag never seen (the create bumped the row's own tag; the
    # model's "any row" tag and the namespace epoch were never set), the entry
    assert calls == ["get_many", "add", "add", "set"]


def test_a_tag_another_process_initialised_first_is_read(calls, monkeypatch):
    category = Category.objects.create(name="a")
    row_key = tags.tag_key("default", tags.any_row_tag(tags.model_tag(Category)))
    real_add = backend.call_unguarded

    def add_lost_to_another_process(alias, op, *args, **kwargs):
        if op == "add" and args[0] == row_key:
            caches[alias].set(row_key, 12345, None)   # the other process's add landed first
        return real_add(alias, op, *args, **kwargs)
    monkeypatch.setattr(backend, "call_unguarded", add_lost_to_another_process)
    calls.clear()   # the create's bump
    tagged(category).get_or_set("category:1", lambda: "a", 300)
    assert calls == ["get_many", "add", "add", "get_many", "set"]
    stored = caches["default"].get(tags.entry_key("category:1"))
    assert stored[1][row_key] == 12345


def test_stats_are_flushed_off_the_request_thread(settings):
    settings.DJCACHE = {**settings.DJCACHE, "STATS_FLUSH_INTERVAL": 0}
    flushed_on = []
    done = threading.Event()
    real_flush = stats._flush

    def recording_flush():
        flushed_on.append(threading.current_thread())
        ok = real_flush()
        done.set()
        return ok
    stats._flush = recording_flush
    try:
        tagged(Category).get_or_set("menu:1", lambda: "m", 300)
        assert done.wait(10)
    finally:
        stats._flush = real_flush
    assert flushed_on and threading.current_thread() not in flushed_on
    # an explicit flush waits for the thread's and pushes what is left: the counts add up
    assert stats.flush()
    (row,) = [r for r in stats.collect(flush_first=False)["families"]
              if r["family"] == "menu:{}"]
    assert (row["misses"], row["sets"]) == (1, 1)


def category_name(pk):
    return Category.objects.get(pk=pk).name


def test_auto_entry_predicts_the_row_its_key_names(calls):
    one, two = Category.objects.create(name="one"), Category.objects.create(name="two")
    h = tagged("auto")
    h.get_or_set(f"category:{one.pk}", lambda: category_name(one.pk), 300)
    h.get_or_set(f"category:{two.pk}", lambda: category_name(two.pk), 300)
    calls.clear()
    assert h.get_or_set(f"category:{two.pk}", lambda: "recomputed", 300) == "two"
    # the family remembered "the row named by the key's number": its versions came with the
    # entry, no second read for the row's tags
    assert calls == ["get_many"]


def test_zero_code_entry_predicts_the_row_its_key_names(calls, settings, monkeypatch):
    from tests.test_autotag import _zero_on
    cache = _zero_on(settings, monkeypatch, "default")
    one, two = Category.objects.create(name="one"), Category.objects.create(name="two")
    cache.get_or_set(f"category:{one.pk}", lambda: category_name(one.pk), 300)
    cache.get_or_set(f"category:{two.pk}", lambda: category_name(two.pk), 300)
    calls.clear()
    assert cache.get_or_set(f"category:{two.pk}", lambda: "recomputed", 300) == "two"
    assert calls == []   # the entry and its tag versions came in the one get_many of the cache


def test_a_wrong_prediction_still_sees_the_write(calls):
    one, two = Category.objects.create(name="one"), Category.objects.create(name="two")
    h = tagged("auto")
    h.get_or_set(f"category:{one.pk}", lambda: category_name(one.pk), 300)
    # the key names row two, the computation reads row one: the prediction is wrong
    h.get_or_set(f"category:{two.pk}", lambda: category_name(one.pk), 300)
    one.name = "uno"
    one.save()
    assert h.get_or_set(f"category:{two.pk}", lambda: category_name(one.pk), 300) == "uno"


def product_detail(pk):
    """A product's name and its category's: the category's row is learned while computing."""
    p = Product.objects.get(pk=pk)
    djcache.add_dependencies(rows(Category, pk=p.category_id))
    return f"{p.name} in {Category.objects.get(pk=p.category_id).name}"


def read_detail(pk):
    return tagged(rows(Product, pk=pk)).get_or_set(f"detail:{pk}", lambda: product_detail(pk), 300)


def test_an_added_row_is_read_with_the_entry(calls):
    tea, cups = Category.objects.create(name="tea"), Category.objects.create(name="cups")
    green = Product.objects.create(name="green", category=tea)
    mug = Product.objects.create(name="mug", category=cups)
    # twice: a value whose added row was bumped within the last second is not stored (README)
    for p in (green, mug, green, mug):   # the family's last computation added cups, not tea
        read_detail(p.pk)
    calls.clear()
    assert read_detail(green.pk) == "green in tea"
    # the entry remembered it added tea's row: its version came with the entry
    assert calls == ["get_many"]
    core._entry_memory.clear()   # another process, which did not compute it
    calls.clear()
    assert read_detail(green.pk) == "green in tea"
    assert calls == ["get_many", "get_many"]
    calls.clear()
    assert read_detail(green.pk) == "green in tea"
    assert calls == ["get_many"]   # learned at its first read
    tea.name = "black tea"
    tea.save()
    assert read_detail(green.pk) == "green in black tea"
    assert read_detail(mug.pk) == "mug in cups"
