"""Cache keys of the catalog, in one place so the set side and the delete side agree."""
from django.core.cache import cache

# Listings are keyed under a namespace version; bumping it retires every listing at once.
CATALOG_VERSION_KEY = "catalog:version"


def product_cache_key(pk):
    return f"product:{pk}"


def bump_catalog_version():
    # add() is a no-op when the key exists; incr() raises on a missing key.
    cache.add(CATALOG_VERSION_KEY, 1, timeout=None)
    cache.incr(CATALOG_VERSION_KEY)
