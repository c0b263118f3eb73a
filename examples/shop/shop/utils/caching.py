"""Small caching helpers shared by the apps."""
import functools

from django.core.cache import cache

_MISSING = object()


def memo_key(func_name, args):
    return "memo:%s:%s" % (func_name, ":".join(str(arg) for arg in args))


def memoize(timeout=300):
    """Cache a function's result under its name and positional arguments.

    The wrapped function gets an ``invalidate(*args)`` attribute that drops the
    entry for those arguments.
    """

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args):
            key = memo_key(func.__name__, args)
            value = cache.get(key, _MISSING)
            if value is _MISSING:
                value = func(*args)
                cache.set(key, value, timeout)
            return value

        def invalidate(*args):
            cache.delete(memo_key(func.__name__, args))

        wrapper.invalidate = invalidate
        return wrapper

    return decorator
