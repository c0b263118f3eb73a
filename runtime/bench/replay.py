"""DB queries per 1,000 requests of the benchmark's request sequence under an invalidation
policy, replayed without a database or a cache (``python -m bench.replay``, from runtime/).

Every read of an entry that is not cached costs its queries (a product detail 2, a category
page 1) and caches it; every write costs its own (a save 2, the others 1) and drops the
entries its policy says it invalidates. Nothing expires (djcache's entries live 600 s; a run
lasts less). For the policies djcache runs, the figures equal what ``bench.run`` measures;
the others show what knowing more rows would give.
"""
import random

from bench.run import N_CATEGORIES, SEED, workload

WRITE_QUERIES = {"save": 2, "update": 1, "review": 1, "rename": 1}
READ_QUERIES = {"product": 2, "category": 1}


def category_of(product):
    return (product - 1) % N_CATEGORIES + 1   # how bench.run builds the database


def product_write(write):
    return write in ("save", "update")


# policy(write kind, written pk, entry kind, entry pk) -> does the write invalidate the entry?
POLICIES = {
    "table tags": lambda w, pk, kind, key: kind == "product" or product_write(w),
    "row tags": lambda w, pk, kind, key: (
        product_write(w) if kind == "category" else w in ("review", "rename") or key == pk),
    "row + FK tags (the benchmark's)": lambda w, pk, kind, key: (
        product_write(w) if kind == "category" else w == "rename" or key == pk),
    "... + the detail's category row": lambda w, pk, kind, key: (
        product_write(w) if kind == "category" else
        category_of(key) == pk if w == "rename" else key == pk),
    "... + category pages by their own products": lambda w, pk, kind, key: (
        product_write(w) and category_of(pk) == key if kind == "category" else
        category_of(key) == pk if w == "rename" else key == pk),
    "nothing invalidated (a lower bound)": lambda *_: False,
}


def queries_per_1000(name, policy):
    cached, queries, n = set(), 0, 0
    for _, _, (op, kind, pk) in workload(name, random.Random(SEED)):
        n += 1
        if op == "r":
            if (kind, pk) not in cached:
                queries += READ_QUERIES[kind]
                cached.add((kind, pk))
            continue
        queries += WRITE_QUERIES[kind]
        cached = {entry for entry in cached if not policy(kind, pk, *entry)}
    return queries * 1000 / n


def main():
    for name in ("writes10", "writes1"):
        events = workload(name, random.Random(SEED))
        nocache = sum(WRITE_QUERIES[k] if op == "w" else READ_QUERIES[k]
                      for _, _, (op, k, _) in events) * 1000 / len(events)
        print(f"{name}: no cache {nocache:.1f} queries / 1,000 requests")
        for label, policy in POLICIES.items():
            q = queries_per_1000(name, policy)
            print(f"  {label}: {q:.1f} ({(1 - q / nocache) * 100:.1f} % fewer)")


if __name__ == "__main__":
    main()
