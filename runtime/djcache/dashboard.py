"""A staff-only dashboard page: the stats every process flushed into the cache, as
server-rendered SVG bar charts (no JavaScript). Linked from the admin index (djcache/admin.py)
and served at ``djcache/dashboard/`` when ``djcache.urls`` is included."""
from __future__ import annotations

from html import escape

from django.http import HttpResponseForbidden
from django.shortcuts import render

from . import backend, stats

BAR_HEIGHT = 18
LABEL_WIDTH = 260
PLOT_WIDTH = 360
TOP = 12


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


def charts(data: dict) -> list[dict]:
    families = data["families"]
    by_reads = sorted(families, key=lambda f: -(f["hits"] + f["misses"]))
    invalidated = sorted(((f["family"], sum(f["invalidations"].values())) for f in families),
                         key=lambda r: -r[1])
    bumps = sorted(data["tag_bumps"].items(), key=lambda r: -r[1])
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
        {"title": "Entries invalidated most", "why": "misses caused by a tag version change",
         "svg": bar_chart("Entries invalidated most", [r for r in invalidated if r[1]])},
        {"title": "Auto-TTL per family", "why":
            "timeout=\"auto\": longer for hot, rarely invalidated families (README, "
            "Traffic-aware TTL)",
         "svg": bar_chart("Auto-TTL per family",
                          [(f["family"], f["auto_ttl_seconds"]) for f in families
                           if f["auto_ttl_seconds"] is not None], " s")},
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
    except backend.Failed as exc:
        context["down"] = str(exc) or "the cache did not answer"
        return render(request, "djcache/dashboard.html", context, status=503)
    context.update(data=data, charts=charts(data),
                   totals={"hits": sum(f["hits"] for f in data["families"]),
                           "misses": sum(f["misses"] for f in data["families"]),
                           "families": len(data["families"])})
    return render(request, "djcache/dashboard.html", context)
