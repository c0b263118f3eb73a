from django.core.cache import cache

CATALOG_VERSION_KEY = "catalog:version"


def catalog_version():
    return cache.get_or_set(CATALOG_VERSION_KEY, 1, timeout=None)


def bump_catalog_version():
    try:
        cache.incr(CATALOG_VERSION_KEY)
    except ValueError:
        cache.set(CATALOG_VERSION_KEY, 2, timeout=None)
