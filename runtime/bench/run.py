"""Benchmark: one Zipf mix of reads and writes over shared tables, seven setups side by side.

    runtime/.venv-bench/bin/python -m bench.run          (from runtime/)

Starts its own redis-server on a free loopback port and, unless ``BENCH_PG=host:port`` names
one, its own PostgreSQL cluster (initdb + pg_ctl, as the ``postgres`` user when run as root)
in a temporary folder on a free port. Every (repeat, workload, setup) runs in its own process
(cachalot and cacheops patch Django at start-up) on a fresh copy of the same database.

Knobs (environment):
  BENCH_DATABASE   postgres (default) or sqlite
  BENCH_WORKLOADS  comma list of writes10, writes1, spike (default: all three)
  BENCH_CONFIGS    comma list of setups (default: all seven)
  BENCH_REPEATS    runs of every (workload, setup), setup order rotated each time (default 3)
  BENCH_REQUESTS   requests of the writes10/writes1 workloads (default 5000)
  BENCH_SPIKE_SECONDS  length of the spike (default 30); the calm phases before and after
                   last a third of it each
  BENCH_SPIKE_RATE requests per second of the calm phases (default 30, 10 % writes); during
                   the spike reads arrive 10x as fast, writes at the same rate
"""
import bisect
import gc
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CONFIGS = ["nocache", "ttl", "djcache-tags", "djcache-rows", "djcache-zerocode", "cachalot",
           "cacheops"]
LABELS = {
    "nocache": "no cache",
    "ttl": "TTL only (60 s)",
    "djcache-tags": "djcache table tags",
    "djcache-rows": "djcache row + FK tags",
    "djcache-zerocode": "djcache zero-code (`AUTO_TAG`)",
    "cachalot": "django-cachalot",
    "cacheops": "django-cacheops",
}
WORKLOADS = ["writes10", "writes1", "spike"]
N_PRODUCTS, N_CATEGORIES = 2000, 40
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "5000"))
SPIKE_SECONDS = float(os.environ.get("BENCH_SPIKE_SECONDS", "30"))
SPIKE_RATE = float(os.environ.get("BENCH_SPIKE_RATE", "30"))
SPIKE_FACTOR = 10
ZIPF_S = 1.1
SEED = 42
DATABASE = os.environ.get("BENCH_DATABASE", "postgres")


# ---------------------------------------------------------------- the workload
def zipf_sampler(n, s, rng):
    weights = [1.0 / (k ** s) for k in range(1, n + 1)]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    return lambda: min(n, bisect.bisect_left(cum, rng.random()) + 1)


class Ops:
    def __init__(self, rng):
        self.rng = rng
        self.product = zipf_sampler(N_PRODUCTS, ZIPF_S, rng)
        self.category = zipf_sampler(N_CATEGORIES, ZIPF_S, rng)

    def write(self):
        kind = self.rng.choices(["save", "update", "review", "rename"], [4, 3, 2, 1])[0]
        return ("w", kind, self.product() if kind != "rename" else self.category())

    def read(self):
        kind = self.rng.choice(["product", "category"])
        return ("r", kind, self.product() if kind == "product" else self.category())


def workload(name, rng):
    """-> list of (at seconds from the start or None: as soon as possible, phase, op)."""
    ops = Ops(rng)
    if name in ("writes10", "writes1"):
        share = 0.10 if name == "writes10" else 0.01
        return [(None, "all", ops.write() if rng.random() < share else ops.read())
                for _ in range(REQUESTS)]
    # spike: calm (10 % writes) -> reads arrive SPIKE_FACTOR times as fast -> calm again.
    # Arrivals are evenly spaced per stream, so every setup sees the same schedule.
    calm = SPIKE_SECONDS / 3
    reads_per_s, writes_per_s = SPIKE_RATE * 0.9, SPIKE_RATE * 0.1
    events = []
    for phase, start, length, factor in (("before", 0.0, calm, 1),
                                         ("spike", calm, SPIKE_SECONDS, SPIKE_FACTOR),
                                         ("after", calm + SPIKE_SECONDS, calm, 1)):
        for rate, make in ((reads_per_s * factor, ops.read), (writes_per_s, ops.write)):
            n = int(length * rate)
            events += [(start + (i + rng.random()) / rate, phase, make()) for i in range(n)]
    events.sort(key=lambda e: e[0])
    return events


# ---------------------------------------------------------------- worker side (one setup)
class Phases:
    """Time spent per request in the database, in Redis (any client: Django's, cacheops'),
    in the garbage collector and in djcache's stats flush; and the CPU time the worker's
    thread used (wall time beyond it and beyond the waits on servers: the process was not
    running). Only the request's own thread is timed: djcache's stats flusher thread runs
    beside it."""

    def __init__(self):
        self.now = {}
        self.thread = threading.get_ident()

    def reset(self):
        self.now = {"db": 0.0, "redis": 0.0, "gc": 0.0, "flush": 0.0, "db_n": 0, "redis_n": 0}

    def timed(self, name, fn):
        def wrapper(*args, **kwargs):
            if threading.get_ident() != self.thread:
                return fn(*args, **kwargs)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if self.now:
                    self.now[name] += (time.perf_counter() - t0) * 1000
                    self.now[name + "_n"] = self.now.get(name + "_n", 0) + 1
        return wrapper

    def install(self, connection):
        import redis.client
        # Redis.execute_command carries every command; a pipeline sends its own at execute()
        redis.client.Redis.execute_command = self.timed("redis",
                                                        redis.client.Redis.execute_command)
        redis.client.Pipeline.execute = self.timed("redis", redis.client.Pipeline.execute)

        def db_timer(execute, sql, params, many, context):
            return self.timed("db", execute)(sql, params, many, context)
        # innermost: the statement alone, not djcache's wrapper (whose bumps are Redis time)
        connection.execute_wrappers.append(db_timer)
        gc_started = []

        def on_gc(phase, info):
            if threading.get_ident() != self.thread:
                return
            if phase == "start":
                gc_started.append(time.perf_counter())
            elif gc_started and self.now:
                self.now["gc"] += (time.perf_counter() - gc_started.pop()) * 1000
        gc.callbacks.append(on_gc)
        try:
            from djcache import stats
        except ImportError:
            return
        stats.flush = self.timed("flush", stats.flush)


def worker(config, workload_name):
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django
    django.setup()
    from django.core.cache import cache
    from django.core.signals import request_finished, request_started
    from django.db import connection
    from django.db.models import F

    from bench.benchapp.models import Category, Product, Review

    queries = {"n": 0}

    def counter(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    connection.ensure_connection()
    connection.execute_wrappers.insert(0, counter)
    phases = Phases()
    phases.install(connection)

    def product_view(pk):
        p = Product.objects.select_related("category").get(pk=pk)
        return [p.name, p.price, p.category.name, Review.objects.filter(product_id=pk).count()]

    def category_view(pk):
        return [list(x) for x in Product.objects.filter(category_id=pk).order_by("-price", "id")
                .values_list("name", "price")[:20]]

    views = {"product": product_view, "category": category_view}

    def fresh(kind, pk):  # raw SQL: never served by any cache layer
        with connection.cursor() as cur:
            if kind == "product":
                cur.execute("SELECT p.name, p.price, c.name FROM benchapp_product p JOIN benchapp_category c"
                            " ON c.id = p.category_id WHERE p.id = %s", [pk])
                row = list(cur.fetchone())
                cur.execute("SELECT COUNT(*) FROM benchapp_review WHERE product_id = %s", [pk])
                return row + [cur.fetchone()[0]]
            cur.execute("SELECT name, price FROM benchapp_product WHERE category_id = %s"
                        " ORDER BY price DESC, id LIMIT 20", [pk])
            return [list(r) for r in cur.fetchall()]

    if config == "ttl":
        def handle(kind, pk):
            key = f"{kind}:{pk}"
            v = cache.get(key)
            if v is None:
                v = views[kind](pk)
                cache.set(key, v, 60)
            return v
    elif config in ("djcache-tags", "djcache-rows"):
        from djcache import add_dependencies, rows, tagged
        if config == "djcache-tags":
            def handle_of(kind, pk):
                return tagged(Product, Category, Review) if kind == "product" else tagged(Product)
            computations = views
        else:
            # the detail depends on its product row and on the reviews of that product (a
            # foreign-key tag); its category's row is known once the product is read, and the
            # computation adds it. The category page lists the category's products, but every
            # product write bumps that foreign key's "any value" tag (a save SETs it with its
            # old value unknown, update(price=...) by pk does not name it): whole table
            def handle_of(kind, pk):
                return tagged(rows(Product, pk=pk), rows(Review, product=pk)) \
                    if kind == "product" else tagged(Product)

            def detail_adding_its_category(pk):   # product_view's queries
                p = Product.objects.select_related("category").get(pk=pk)
                add_dependencies(rows(Category, pk=p.category_id))
                return [p.name, p.price, p.category.name,
                        Review.objects.filter(product_id=pk).count()]
            computations = {"product": detail_adding_its_category, "category": category_view}

        def handle(kind, pk):
            return handle_of(kind, pk).get_or_set(f"{kind}:{pk}", lambda: computations[kind](pk),
                                                  600)
    elif config == "djcache-zerocode":
        def handle(kind, pk):  # plain Django cache API; AUTO_TAG tags it
            return cache.get_or_set(f"{kind}:{pk}", lambda: views[kind](pk), 600)
    else:  # nocache, cachalot, cacheops: the ORM layer caches (or not)
        def handle(kind, pk):
            return views[kind](pk)

    def write(kind, pk):
        if kind == "save":
            p = Product.objects.get(pk=pk)
            p.price += 1
            p.save()
        elif kind == "update":
            Product.objects.filter(pk=pk).update(price=F("price") + 1)
        elif kind == "review":
            Review.objects.create(product_id=pk, stars=3)
        else:
            Category.objects.filter(pk=pk).update(name=f"cat-{pk}-{random.random():.6f}")

    cache.clear()
    events = workload(workload_name, random.Random(SEED))
    samples = []   # (op, phase, ms, phases of the request)
    stale = 0
    queries_by_phase = {}
    lag_max = 0.0
    start = time.perf_counter()
    for at, phase, (op, kind, pk) in events:
        if at is not None:
            wait = start + at - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                lag_max = max(lag_max, -wait)
        q0 = queries["n"]
        phases.reset()
        t0, cpu0 = time.perf_counter(), time.thread_time()
        request_started.send(sender=None)
        if op == "r":
            value = handle(kind, pk)
        else:
            write(kind, pk)
        request_finished.send(sender=None)
        ms = (time.perf_counter() - t0) * 1000
        phases.now["cpu"] = (time.thread_time() - cpu0) * 1000
        samples.append((op, phase, ms, phases.now))
        phases.now = {}
        queries_by_phase[phase] = queries_by_phase.get(phase, 0) + queries["n"] - q0
        if op == "r":
            q = queries["n"]
            if value != fresh(kind, pk):
                stale += 1
            queries["n"] = q  # the staleness check is not part of the request
    elapsed = time.perf_counter() - start
    n = len(samples)
    result = {
        "config": config, "workload": workload_name, "requests": n,
        "reads": sum(1 for s in samples if s[0] == "r"),
        "seconds": round(elapsed, 1),
        "queries_per_1000": round(sum(queries_by_phase.values()) * 1000 / n, 1),
        "stale_per_1000": round(stale * 1000 / n, 2),
    }
    for op, name in (("r", "read"), ("w", "write")):
        mine = [s for s in samples if s[0] == op]
        result[name] = latency(mine)
    if workload_name == "spike":
        calm = SPIKE_SECONDS / 3
        length = {"before": calm, "spike": SPIKE_SECONDS, "after": calm}
        result["db_queries_per_s"] = {p: round(q / length[p], 1)
                                      for p, q in queries_by_phase.items()}
        result["spike_read"] = latency([s for s in samples if s[0] == "r" and s[1] == "spike"])
        result["lag_max_ms"] = round(lag_max * 1000, 1)
    print("RESULT " + json.dumps(result))


def percentile(sorted_values, q):
    return sorted_values[max(0, int(q * len(sorted_values)) - 1)]


def latency(samples):
    """p50/p99 of ``samples`` and, for the slowest 1 %, the mean time per phase."""
    if not samples:
        return None
    ms = sorted(s[2] for s in samples)
    p99 = percentile(ms, 0.99)
    cpu = sorted(s[3]["cpu"] for s in samples)
    return {"n": len(ms), "p50": round(percentile(ms, 0.50), 3), "p99": round(p99, 3),
            # the worker's own CPU time: what the setup costs, whatever the machine's load
            "cpu_p50": round(percentile(cpu, 0.50), 3), "cpu_p99": round(percentile(cpu, 0.99), 3),
            "all": split_of(samples), "slowest_1pct": split_of([s for s in samples
                                                                 if s[2] >= p99])}


def split_of(samples):
    """Mean ms per phase (and calls to the database and Redis) of ``samples``."""
    split = {k: round(statistics.mean(s[3].get(k, 0) for s in samples), 3)
             for k in ("db", "redis", "gc", "flush", "cpu", "db_n", "redis_n")}
    split["other"] = round(statistics.mean(s[2] for s in samples) - split["db"] - split["redis"]
                           - split["gc"] - split["flush"], 3)
    return split


# ---------------------------------------------------------------- orchestrator
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


class Postgres:
    """A throwaway cluster in a temp folder (or the one BENCH_PG names), one database per run
    copied from a template built once."""
    BASE = "djcache_bench_base"
    RUN = "djcache_bench_run"

    def __init__(self):
        self.folder = None
        given = os.environ.get("BENCH_PG")
        if given:
            self.address = given
            return
        bindir = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
        self.bin = f"/usr/lib/postgresql/{bindir}/bin"
        self.folder = tempfile.mkdtemp(prefix="djcache-bench-pg-")
        os.chmod(self.folder, 0o755)
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._as_postgres(f"{self.bin}/initdb", "-D", f"{self.folder}/data", "-U", "postgres",
                          "--auth=trust", "-E", "UTF8", "--no-sync")
        # the server's defaults (fsync and synchronous_commit on): commits cost what they do
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-l",
                          f"{self.folder}/log", "-w", "-o",
                          f"-p {port} -c listen_addresses=127.0.0.1 -k {self.folder}", "start")

    def _as_postgres(self, *argv):
        if os.geteuid() == 0:
            argv = ("su", "postgres", "-c", " ".join(f"'{a}'" for a in argv))
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)

    def sql(self, statement, db="postgres"):
        import psycopg
        host, port = self.address.split(":")
        with psycopg.connect(host=host, port=port, user="postgres", dbname=db,
                             autocommit=True) as conn:
            conn.execute(statement)

    def fresh(self, name):
        self.sql(f"DROP DATABASE IF EXISTS {name}")
        self.sql(f"CREATE DATABASE {name}" + ("" if name == self.BASE else
                                                f" TEMPLATE {self.BASE}"))
        return name

    def stop(self):
        if self.folder:
            self._as_postgres(f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-m", "fast",
                              "stop")
            shutil.rmtree(self.folder, ignore_errors=True)


class Sqlite:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="djcache-bench-sqlite-")
        self.address = ""
        self.BASE = os.path.join(self.folder, "base.sqlite3")

    def fresh(self, name):
        if name == self.BASE:
            return name
        path = os.path.join(self.folder, "run.sqlite3")
        shutil.copy(self.BASE, path)
        return path

    def stop(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def build_db(env):
    code = (
        "import os, random, django; os.environ['DJANGO_SETTINGS_MODULE']='bench.settings'; django.setup();"
        "from django.core.management import call_command; call_command('migrate', run_syncdb=True, verbosity=0);"
        "from bench.benchapp.models import *; rng = random.Random(1);"
        f"cats = Category.objects.bulk_create([Category(name=f'cat-{{i}}') for i in range({N_CATEGORIES})]);"
        f"Product.objects.bulk_create([Product(name=f'p-{{i}}', price=rng.randrange(100), category=cats[i % {N_CATEGORIES}]) for i in range({N_PRODUCTS})]);"
        "Review.objects.bulk_create([Review(product_id=rng.randrange(1, 2001), stars=5) for _ in range(3000)])"
    )
    subprocess.run([sys.executable, "-c", code], env={**env, "BENCH_CONFIG": "nocache"},
                   check=True)


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    workloads = os.environ.get("BENCH_WORKLOADS", ",".join(WORKLOADS)).split(",")
    configs = os.environ.get("BENCH_CONFIGS", ",".join(CONFIGS)).split(",")
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    # a kill (SIGTERM) still stops the servers below and removes their folders
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    database = Postgres() if DATABASE == "postgres" else Sqlite()
    env = {**os.environ, "BENCH_REDIS": f"127.0.0.1:{port}", "PYTHONPATH": root,
           "BENCH_DATABASE": DATABASE, "BENCH_PG": database.address}
    results = []
    out = os.path.join(root, "bench", f"results-{DATABASE}-{int(time.time())}.json")
    try:
        wait_port(port)
        build_db({**env, "BENCH_DB": database.fresh(database.BASE)})
        for repeat in range(repeats):
            for name in workloads:
                turn = configs[repeat % len(configs):] + configs[:repeat % len(configs)]
                for config in turn:
                    db = database.fresh(getattr(database, "RUN", "run"))
                    subprocess.run(["redis-cli", "-p", str(port), "flushall"],
                                   stdout=subprocess.DEVNULL)
                    load = load_average()
                    p = subprocess.run([sys.executable, "-m", "bench.run", "--worker", config,
                                        name], cwd=root,
                                       env={**env, "BENCH_CONFIG": config, "BENCH_DB": db},
                                       capture_output=True, text=True)
                    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
                    if p.returncode or not line:
                        result = {"config": config, "workload": name,
                                  "error": (p.stderr or p.stdout)[-800:]}
                    else:
                        result = json.loads(line[0][7:])
                    result.update(repeat=repeat, load_before=load, load_after=load_average())
                    results.append(result)
                    print(json.dumps(result), flush=True)
                    with open(out, "w") as f:
                        json.dump(results, f, indent=1)
    finally:
        redis.kill()
        redis.wait()
        database.stop()
    print(f"wrote {out}")
    print(report(results))


# ---------------------------------------------------------------- the tables in the docs
def spread(values, digits=1):
    """median (min–max) over the repeats."""
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1 or min(values) == max(values):
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def report(results):
    lines = []
    for name in WORKLOADS:
        mine = [r for r in results if r.get("workload") == name and "error" not in r]
        if not mine:
            continue

        def table(intro, header, cells_of, mine=mine):
            """A markdown table: one row per setup that ran, ``cells_of(its results)``."""
            out = ["", intro, "", "| setup | " + " | ".join(header) + " |",
                   "|---|" + "---:|" * len(header)]
            for config in CONFIGS:
                rs = [r for r in mine if r["config"] == config]
                if rs:
                    out.append("| " + " | ".join([LABELS[config]] + cells_of(rs)) + " |")
            return out

        lines += ["", f"### {name}"]
        lines += table("median (range) over the repeats:",
                       ["DB queries / 1,000 req", "stale / 1,000 req", "read p50 ms",
                        "read p99 ms", "write p50 ms", "write p99 ms"],
                       lambda rs: [spread([r["queries_per_1000"] for r in rs]),
                                   spread([r["stale_per_1000"] for r in rs])] +
                       [spread([r[op][k] for r in rs], 2)
                        for op in ("read", "write") for k in ("p50", "p99")])
        if all("cpu_p99" in r["read"] for r in mine):
            lines += table("CPU time of the worker's thread per request, ms (median over repeats):",
                           ["read cpu p50", "read cpu p99", "write cpu p50", "write cpu p99"],
                           lambda rs: [spread([r[op][k] for r in rs], 2) for op in ("read", "write")
                                       for k in ("cpu_p50", "cpu_p99")])
        lines += table("mean per request (median over repeats): calls to the database and to "
                       "Redis, and CPU ms of the worker's thread (what load on the machine does "
                       "not change):",
                       ["reads: db calls", "redis calls", "cpu ms", "writes: db calls",
                        "redis calls", "cpu ms"],
                       lambda rs: [f"{statistics.median(r[op]['all'][k] for r in rs):.2f}"
                                   for op in ("read", "write")
                                   for k in ("db_n", "redis_n", "cpu")])

        def slowest(rs):
            cells = []
            for op in ("read", "write"):
                splits = [r[op]["slowest_1pct"] for r in rs]
                total = [s["db"] + s["redis"] + s["gc"] + s["flush"] + s["other"]
                         for s in splits]
                cells.append(f"{statistics.median(total):.2f}")
                cells += [f"{statistics.median(s[k] for s in splits):.2f}"
                          for k in ("db", "redis", "gc", "flush", "other", "cpu")]
            return cells
        phases = ["db", "redis", "gc", "stats flush", "other", "cpu"]
        lines += table("slowest 1 % of requests, mean ms per phase (median over repeats):",
                       ["reads: total"] + phases + ["writes: total"] + phases, slowest)
        if name == "spike":
            lines += table("DB load and lag of the spike (median (range) over the repeats):",
                           ["DB queries/s before", "during the spike", "after",
                            "spike read p99 ms", "max lag behind schedule ms"],
                           lambda rs: [spread([r["db_queries_per_s"].get(p) for r in rs])
                                       for p in ("before", "spike", "after")] +
                           [spread([r["spike_read"]["p99"] for r in rs], 2),
                            spread([r["lag_max_ms"] for r in rs])])
        loads = [r[k] for r in mine for k in ("load_before", "load_after") if r.get(k)]
        if loads:
            lines += ["", f"1-minute load average during these runs: {min(loads):.1f}–"
                          f"{max(loads):.1f} (2 cores)."]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 2 and sys.argv[1] == "--report":
        with open(sys.argv[2]) as f:
            print(report(json.load(f)))
    else:
        main()
