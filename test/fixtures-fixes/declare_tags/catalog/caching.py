"""Caching helpers of the project."""
import functools

from django.core.cache import cache


def memo_key(name, args):
    return "memo:%s:%s" % (name, ":".join(str(a) for a in args))


def memoize(timeout=300):
    """Caches a function's result under its name and arguments; ``fn.invalidate(*args)`` drops one."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args):
            key = memo_key(func.__name__, args)
            value = cache.get(key)
            if value is None:
                value = func(*args)
                cache.set(key, value, timeout)
            return value

        def invalidate(*args):
            cache.delete(memo_key(func.__name__, args))

        wrapper.invalidate = invalidate
        return wrapper

    return decorator


def remember(timeout=300):
    """Like memoize; ``fn.cache_key(*args)`` tells where a result is kept."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args):
            key = memo_key(func.__name__, args)
            value = cache.get(key)
            if value is None:
                value = func(*args)
                cache.set(key, value, timeout)
            return value

        wrapper.cache_key = lambda *args: memo_key(func.__name__, args)
        return wrapper

    return decorator
