"""djcache: generational tag invalidation for Django caches.

    from djcache import tagged
    data = tagged(Product, "shop.Category").get_or_set("products:all", compute, timeout=300)
"""
__version__ = "0.1.0"
__all__ = ["tagged", "Tagged", "rows", "cache_page", "memoize", "invalidate", "add_dependencies",
           "AUTO", "EVERYTHING"]

AUTO = "auto"
# djcache.invalidate(djcache.EVERYTHING) invalidates every entry
EVERYTHING = "*"


def __getattr__(name):
    # lazy imports: importing djcache must not need configured settings
    if name in ("tagged", "Tagged"):
        from . import core
        return getattr(core, name)
    if name == "rows":
        from .tags import Rows
        return Rows
    if name in ("cache_page", "memoize"):
        from . import decorators
        return getattr(decorators, name)
    if name in ("invalidate", "add_dependencies"):
        from . import invalidation
        return getattr(invalidation, name)
    raise AttributeError(name)
