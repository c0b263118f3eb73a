"""A staff-only dashboard page: the stats every process flushed into the cache, as
server-rendered SVG charts (no JavaScript): bars, and per busy family its hits, misses and
invalidations per minute over the last hour. Linked from the admin index (djcache/admin.py)
and served at ``djcache/dashboard/`` when ``djcache.urls`` is included."""
from __future__ import annotations

from html import escape

from django.http import HttpResponseForbidden
from django.shortcuts import render

from . import backend, conf, stats, ttl

BAR_HEIGHT = 18
LABEL_WIDTH = 260
PLOT_WIDTH = 360
TOP = 12
# time series charts: one per busiest family
SERIES_FAMILIES = 6
SERIES_WIDTH, SERIES_HEIGHT = 600, 120
SERIES_LINES = (("hits", "djc-hits"), ("misses", "djc-misses"), ("inv", "djc-inv"))


def bar_chart(title: str, rows: list[tuple[str, float]], unit: str = "",
              maximum: float | None = None) -> str:
    """An SVG of horizontal bars, one per (label, value), longest first as given."""
    rows = rows[:20]
    height = TOP + BAR_HEIGHT * max(len(rows), 1) + 8
    top = maximum if maximum is not None else max((v for _, v in rows), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
             f'width="{LABEL_WIDTH + PLOT_WIDTH + 90}" height="{height}" class="djc-chart">',
             f"<title>{escape(title)}</title>"]
    if not rows:
        parts.append(f'<text x="0" y="{TOP + 12}" class="djc-empty">nothing recorded yet</text>')
    for i, (label, value) in enumerate(rows):
        y = TOP + i * BAR_HEIGHT
        width = max(1.0, PLOT_WIDTH * value / top) if value else 0.0
        shown = f"{value:g}{unit}"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end" '
                     f'class="djc-label">{escape(label[:40])}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" '
                     f'height="{BAR_HEIGHT - 5}" class="djc-bar"><title>{escape(label)}: '
                     f'{escape(shown)}</title></rect>')
        parts.append(f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 13}" '
                     f'class="djc-value">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, points: dict) -> str:
    """An SVG of one polyline per series in ``points`` (see ``stats.series``), oldest left."""
    count = len(points["hits"])
    top = max((v for name, _ in SERIES_LINES for v in points[name]), default=0) or 1
    left, bottom = 48, SERIES_HEIGHT - 18

    def xy(i, v):
        x = left + (SERIES_WIDTH - left - 8) * (i / max(count - 1, 1))
        return f"{x:.1f},{bottom - (bottom - TOP) * v / top:.1f}"
    minutes = count * points["step"] // 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
             f'width="{SERIES_WIDTH}" height="{SERIES_HEIGHT}" class="djc-chart djc-series">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{bottom}" x2="{SERIES_WIDTH - 8}" y2="{bottom}" '
             f'class="djc-axis"/>',
             f'<text x="{left - 4}" y="{TOP + 4}" text-anchor="end" class="djc-label">{top:g}'
             f"</text>",
             f'<text x="{left - 4}" y="{bottom}" text-anchor="end" class="djc-label">0</text>',
             f'<text x="{left}" y="{SERIES_HEIGHT - 4}" class="djc-label">−{minutes} min</text>',
             f'<text x="{SERIES_WIDTH - 8}" y="{SERIES_HEIGHT - 4}" text-anchor="end" '
             f'class="djc-label">now</text>']
    for name, css in SERIES_LINES:
        values = points[name]
        parts.append(f'<polyline class="{css}" fill="none" points="'
                     + " ".join(xy(i, v) for i, v in enumerate(values)) + f'"><title>'
                     f"{escape(name)} per minute, last: {values[-1] if values else 0}"
                     f"</title></polyline>")
    parts.append("</svg>")
    return "".join(parts)


def series_charts(data: dict) -> list[dict]:
    busiest = sorted(data["families"], key=lambda f: -(f["hits"] + f["misses"]))
    names = [f["family"] for f in busiest[:SERIES_FAMILIES]]
    return [{"title": name, "svg": line_chart(f"{name} per minute", points)}
            for name, points in stats.series(names).items()]


def auto_ttl_reasons(data: dict) -> list[dict]:
    """Per family: the TTL ``timeout="auto"`` gives with the rates of every process, and why."""
    names = [f["family"] for f in data["families"]]
    out = []
    for name, (reads, invalidations) in sorted(stats.shared_rates(names).items()):
        if not reads and not invalidations:
            continue
        seconds = ttl.formula(reads, invalidations, conf.get("AUTO_TTL_MIN"),
                              conf.get("AUTO_TTL_MAX"), conf.get("AUTO_TTL_HOT_READS_PER_MIN"))
        out.append({"family": name, "seconds": round(seconds), "reads_per_min":
                    round(reads * 60, 1), "invalidations_per_min": round(invalidations * 60, 1)})
    return out


def charts(data: dict, auto_ttl: list[dict]) -> list[dict]:
    families = data["families"]
    by_reads = sorted(families, key=lambda f: -(f["hits"] + f["misses"]))
    invalidated = sorted(((f["family"], sum(f["invalidations"].values())) for f in families),
                         key=lambda r: -r[1])
    bumps = sorted(data["tag_bumps"].items(), key=lambda r: -r[1])
    hottest = sorted(((f"{model}#{row}", n) for model, rows in data["hot_rows"].items()
                      for row, n in rows), key=lambda r: -r[1])
    return [
        {"title": "Hit ratio per entry family", "why": "hits / (hits + misses), busiest first",
         "svg": bar_chart("Hit ratio per entry family",
                          [(f["family"], round(100 * f["hit_rate"], 1)) for f in by_reads
                           if f["hit_rate"] is not None], "%", maximum=100)},
        {"title": "Reads per entry family", "why": "hits + misses",
         "svg": bar_chart("Reads per entry family",
                          [(f["family"], f["hits"] + f["misses"]) for f in by_reads])},
        {"title": "Invalidations per table", "why":
            "tag bumps by writes; <code>#row</code> counts writes that named their rows, "
            "<code>#*</code> writes whose rows were not known",
         "svg": bar_chart("Invalidations per table", [(b, n) for b, n in bumps if n])},
        {"title": "Hottest rows", "why": "rows bumped most by writes that named them "
            "(each table's five most bumped; row tags, README)",
         "svg": bar_chart("Hottest rows", hottest)},
        {"title": "Entries invalidated most", "why": "misses caused by a tag version change",
         "svg": bar_chart("Entries invalidated most", [r for r in invalidated if r[1]])},
        {"title": "Auto-TTL per family", "why":
            "what timeout=\"auto\" gives a family now, from the reads and invalidations of "
            "every process in the last one to two minutes (table below): longer for hot, "
            "rarely invalidated families (README, Traffic-aware TTL)",
         "svg": bar_chart("Auto-TTL per family",
                          [(r["family"], r["seconds"]) for r in auto_ttl], " s")},
        {"title": "Compute time p95", "why": "upper bound of the histogram bucket",
         "svg": bar_chart("Compute time p95",
                          [(f["family"], f["compute_ms"]["p95"]) for f in families
                           if f["compute_ms"]["p95"] is not None], " ms")},
    ]


def dashboard_view(request, extra_context=None):
    user = getattr(request, "user", None)
    if not (user is not None and user.is_active and user.is_staff):
        return HttpResponseForbidden("staff only")
    context = {"title": "djcache", **(extra_context or {})}
    try:
        data = stats.collect()
        series = series_charts(data)
        reasons = auto_ttl_reasons(data)
    except backend.Failed as exc:
        context["down"] = str(exc) or "the cache did not answer"
        return render(request, "djcache/dashboard.html", context, status=503)
    context.update(data=data, charts=charts(data, reasons), series=series, auto_ttl=reasons,
                   totals={"hits": sum(f["hits"] for f in data["families"]),
                           "misses": sum(f["misses"] for f in data["families"]),
                           "families": len(data["families"])})
    return render(request, "djcache/dashboard.html", context)
