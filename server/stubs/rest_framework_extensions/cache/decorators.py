"""drf-extensions' response cache, as djcache reads it.

`@cache_response(timeout, key_func=..., cache=...)` on a view method stores the rendered response
under a key its key constructor hashes from the request (or `key_func`'s own key), on the cache
`cache` (REST_FRAMEWORK_EXTENSIONS["DEFAULT_USE_CACHE"], "default" unless set), for `timeout`
seconds (DEFAULT_CACHE_RESPONSE_TIMEOUT, 15 minutes unless set). The library deletes nothing.
"""

import hashlib

from django.core.cache import caches

DEFAULT_CACHE_RESPONSE_TIMEOUT = 60 * 15
DEFAULT_USE_CACHE = "default"


def cache_response(
    timeout=DEFAULT_CACHE_RESPONSE_TIMEOUT,
    key_func=None,
    cache=DEFAULT_USE_CACHE,
    cache_errors=None,
):
    def decorator(func):
        def inner(self, request, *args, **kwargs):
            request_key = repr((func.__qualname__, request.get_full_path(), args, kwargs))
            key = hashlib.md5(request_key.encode()).hexdigest()
            response = caches[cache].get(key)
            if response is None:
                response = func(self, request, *args, **kwargs)
                caches[cache].set(key, response, timeout)
            return response

        return inner

    return decorator


CacheResponse = cache_response
