"""Benchmark: one workload (Zipf mix of reads and writes over shared tables), six setups.

    runtime/.venv-bench/bin/python -m bench.run          (from runtime/)

Starts its own redis-server on a free loopback port; each setup runs in its own process
(cachalot and cacheops patch Django at start-up) on a fresh copy of the same SQLite DB.
"""
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time

CONFIGS = ["nocache", "ttl", "djcache-tags", "djcache-auto", "cachalot", "cacheops"]
N_PRODUCTS, N_CATEGORIES = 2000, 40
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "5000"))
WRITE_SHARE = float(os.environ.get("BENCH_WRITE_SHARE", "0.10"))
ZIPF_S = 1.1
SEED = 42


# ---------------------------------------------------------------- worker side (one setup)
def zipf_sampler(n, s, rng):
    weights = [1.0 / (k ** s) for k in range(1, n + 1)]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    import bisect
    return lambda: min(n, bisect.bisect_left(cum, rng.random()) + 1)


def workload(rng):
    pz = zipf_sampler(N_PRODUCTS, ZIPF_S, rng)
    cz = zipf_sampler(N_CATEGORIES, ZIPF_S, rng)
    out = []
    for _ in range(REQUESTS):
        if rng.random() < WRITE_SHARE:
            kind = rng.choices(["save", "update", "review", "rename"], [4, 3, 2, 1])[0]
            out.append(("w", kind, pz() if kind != "rename" else cz()))
        else:
            kind = rng.choice(["product", "category"])
            out.append(("r", kind, pz() if kind == "product" else cz()))
    return out


def worker(config):
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django
    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import F

    from bench.benchapp.models import Category, Product, Review

    queries = {"n": 0}

    def counter(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    connection.ensure_connection()
    connection.execute_wrappers.insert(0, counter)

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
    elif config.startswith("djcache"):
        from djcache import tagged
        handles = {"product": tagged(Product, Category, Review), "category": tagged(Product)}
        if config == "djcache-auto":
            handles = {"product": tagged("auto"), "category": tagged("auto")}

        def handle(kind, pk):
            return handles[kind].get_or_set(f"{kind}:{pk}", lambda: views[kind](pk), 600)
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
    ops = workload(random.Random(SEED))
    lat, stale, reads = [], 0, 0
    q_start = queries["n"]
    for op, kind, pk in ops:
        t0 = time.perf_counter()
        if op == "r":
            value = handle(kind, pk)
        else:
            write(kind, pk)
        lat.append((time.perf_counter() - t0) * 1000)
        if op == "r":
            reads += 1
            q = queries["n"]
            if value != fresh(kind, pk):
                stale += 1
            queries["n"] = q  # the staleness check is not part of the request
    total_q = queries["n"] - q_start
    result = {
        "config": config, "requests": len(ops), "reads": reads,
        "queries_per_1000": round(total_q * 1000 / len(ops), 1),
        "stale_per_1000": round(stale * 1000 / len(ops), 2),
        "p50_ms": round(statistics.median(lat), 3),
        "p99_ms": round(sorted(lat)[int(0.99 * len(lat)) - 1], 3),
    }
    if config == "djcache-tags":
        result.update(read_overhead(cache))
    print("RESULT " + json.dumps(result))


def read_overhead(cache):
    """Per cached read: djcache hit vs a plain cache.get of the same value, on local Redis."""
    from djcache import tagged
    from bench.benchapp.models import Category, Product, Review
    h = tagged(Product, Category, Review)
    value = [f"name-{i}" for i in range(10)]
    h.get_or_set("overhead", lambda: value, 600)
    cache.set("plain", value, 600)
    n = 3000
    for _ in range(200):
        h.get_or_set("overhead", lambda: value, 600)
        cache.get("plain")

    def timeit(fn):
        best = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best.append((time.perf_counter() - t0) / n * 1000)
        return min(best)

    t_dj = timeit(lambda: h.get_or_set("overhead", lambda: value, 600))
    t_plain = timeit(lambda: cache.get("plain"))
    return {"djcache_hit_ms": round(t_dj, 4), "plain_get_ms": round(t_plain, 4),
            "djcache_overhead_ms": round(t_dj - t_plain, 4)}


# ---------------------------------------------------------------- orchestrator
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_db(path, env):
    code = (
        "import os, random, django; os.environ['DJANGO_SETTINGS_MODULE']='bench.settings'; django.setup();"
        "from django.core.management import call_command; call_command('migrate', run_syncdb=True, verbosity=0);"
        "from bench.benchapp.models import *; rng = random.Random(1);"
        f"cats = Category.objects.bulk_create([Category(name=f'cat-{{i}}') for i in range({N_CATEGORIES})]);"
        f"Product.objects.bulk_create([Product(name=f'p-{{i}}', price=rng.randrange(100), category=cats[i % {N_CATEGORIES}]) for i in range({N_PRODUCTS})]);"
        "Review.objects.bulk_create([Review(product_id=rng.randrange(1, 2001), stars=5) for _ in range(3000)])"
    )
    subprocess.run([sys.executable, "-c", code], env={**env, "BENCH_CONFIG": "nocache", "BENCH_DB": path},
                   check=True)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    env = {**os.environ, "BENCH_REDIS": f"127.0.0.1:{port}", "PYTHONPATH": root}
    base = f"/tmp/djcache-bench-base-{port}.sqlite3"
    results = []
    try:
        build_db(base, env)
        for config in CONFIGS:
            db = f"/tmp/djcache-bench-{config}-{port}.sqlite3"
            shutil.copy(base, db)
            subprocess.run(["redis-cli", "-p", str(port), "flushall"], stdout=subprocess.DEVNULL)
            p = subprocess.run([sys.executable, "-m", "bench.run", "--worker", config], cwd=root,
                               env={**env, "BENCH_CONFIG": config, "BENCH_DB": db},
                               capture_output=True, text=True)
            line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
            if p.returncode or not line:
                results.append({"config": config, "error": (p.stderr or p.stdout)[-800:]})
            else:
                results.append(json.loads(line[0][7:]))
            print(json.dumps(results[-1]), flush=True)
            os.remove(db)
    finally:
        redis.kill()
        redis.wait()
    out = os.path.join(root, "bench", f"results-writes{WRITE_SHARE}.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        main()
