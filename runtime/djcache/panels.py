"""Django Debug Toolbar panel: add ``"djcache.panels.DjcachePanel"`` to DEBUG_TOOLBAR_PANELS."""
import threading

from debug_toolbar.panels import Panel

from . import backend, stats

_local = threading.local()


def _listen(family, name, n):
    events = getattr(_local, "events", None)
    if events is not None:
        row = events.setdefault(family, {"hits": 0, "misses": 0, "sets": 0, "stale": 0,
                                         "compute_n": 0, "compute_us": 0, "invalidations": {}})
        if name.startswith("inv:"):
            row["invalidations"][name[4:]] = row["invalidations"].get(name[4:], 0) + n
        elif name in row:
            row[name] += n


stats.listeners.append(_listen)


class DjcachePanel(Panel):
    title = "djcache"
    template = "djcache/panel.html"

    @property
    def nav_subtitle(self):
        s = self.get_stats()
        return f"{s.get('hits', 0)} hits, {s.get('misses', 0)} misses" if s else ""

    def enable_instrumentation(self):
        _local.events = {}

    def disable_instrumentation(self):
        self._events = getattr(_local, "events", None) or {}
        _local.events = None

    def generate_stats(self, request, response):
        events = getattr(self, "_events", None)
        if events is None:
            events = getattr(_local, "events", None) or {}
        rows = []
        for family, row in sorted(events.items()):
            mean = row["compute_us"] / row["compute_n"] / 1000.0 if row["compute_n"] else None
            rows.append(dict(row, family=family, compute_ms=mean))
        try:
            overall = stats.collect()["families"]
        except backend.Failed:
            overall = []
        self.record_stats({
            "request_rows": rows,
            "hits": sum(r["hits"] for r in rows),
            "misses": sum(r["misses"] for r in rows),
            "overall": overall,
        })
