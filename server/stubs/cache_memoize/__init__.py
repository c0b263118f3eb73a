"""django-cache-memoize (https://github.com/peterbe/django-cache-memoize), as djcache reads it.

What the library does with the cache: `@cache_memoize(timeout, ...)` stores the decorated
function's result under a key hashed from the function and its arguments (so no delete written
by hand can name it), and `fn.invalidate(*args, **kwargs)` deletes the entry for those arguments.
"""

import hashlib

from django.core.cache import caches


def cache_memoize(
    timeout,
    prefix=None,
    args_rewrite=None,
    hit_callable=None,
    miss_callable=None,
    key_generator_callable=None,
    store_result=True,
    cache_exceptions=(),
    cache_alias="default",
):
    def decorator(func):
        def _make_cache_key(*args, **kwargs):
            return hashlib.md5(repr((prefix or func.__qualname__, args, kwargs)).encode()).hexdigest()

        def inner(*args, **kwargs):
            cache_key = _make_cache_key(*args, **kwargs)
            result = caches[cache_alias].get(cache_key)
            if result is None:
                result = func(*args, **kwargs)
                caches[cache_alias].set(cache_key, result, timeout)
            return result

        def invalidate(*args, **kwargs):
            caches[cache_alias].delete(_make_cache_key(*args, **kwargs))

        inner.invalidate = invalidate
        return inner

    return decorator
