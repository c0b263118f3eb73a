import json

from django.core.management.base import BaseCommand, CommandError

from ... import backend, stats


class Command(BaseCommand):
    help = "djcache tools: `stats` (table or --json), `invalidate app.Model ...`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["stats", "invalidate"])
        parser.add_argument("models", nargs="*", help="what `invalidate` invalidates: app.Model "
                            "labels, app labels, table names, table:<name>, or * for everything")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--database", default=None, help="database alias for `invalidate`")

    def handle(self, *args, **opts):
        if opts["action"] == "invalidate":
            from ...invalidation import UnknownTarget, invalidate
            if not opts["models"]:
                raise CommandError("give at least one app.Model label, app label, table name, "
                                   "table:<name>, or * for everything")
            check_targets(opts["models"], opts["database"])
            try:
                invalidate(*opts["models"], using=opts["database"])
            except UnknownTarget as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"invalidated {', '.join(opts['models'])}")
            return
        try:
            data = stats.collect()
        except backend.Failed as exc:
            raise CommandError(f"cache unavailable: {exc}") from exc
        if opts["json"]:
            self.stdout.write(json.dumps(data, indent=2, sort_keys=True))
            return
        self.stdout.write(render_table(data))


def check_targets(targets, database):
    """What `invalidate` would take without a word but cannot mean, as a one-line CommandError."""
    from django.conf import settings
    if database is not None and database not in settings.DATABASES:
        raise CommandError(f"--database {database!r} is not in settings.DATABASES "
                           f"({', '.join(sorted(settings.DATABASES))})")
    if "table:" in targets:
        raise CommandError("table: needs a table name, e.g. table:legacy_prices")


def render_table(data):
    head = ("family", "hits", "misses", "sets", "hit%", "mean ms", "p95 ms", "invalidations")
    rows = [head]
    for f in data["families"]:
        inv = ", ".join(f"{t}={n}" for t, n in sorted(f["invalidations"].items())) or "-"
        hr = f["hit_rate"]
        c = f["compute_ms"]
        rows.append((f["family"], str(f["hits"]), str(f["misses"]), str(f["sets"]),
                     "-" if hr is None else f"{hr * 100:.1f}",
                     "-" if c["mean"] is None else f"{c['mean']:.2f}",
                     "-" if c["p95"] is None else f"{c['p95']:.1f}", inv))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if not data["families"]:
        lines.append("(no entries recorded yet)")
    if data["tag_bumps"]:
        lines.append("")
        bumps = sorted(data["tag_bumps"].items())
        lines.append("tag bumps: " + ", ".join(f"{t}={n}" for t, n in bumps))
    return "\n".join(lines)
