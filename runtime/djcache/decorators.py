"""``djcache.cache_page`` (views) and ``djcache.memoize`` (functions)."""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from .core import Dependency, Tagged
from .ttl import _DEFAULT, Timeout


def _arg_repr(value):
    meta = getattr(value, "_meta", None)
    if meta is not None and hasattr(value, "pk"):
        return f"<{meta.label_lower}:{value.pk!r}>"
    return repr(value)


def _args_hash(args, kwargs):
    text = "|".join([_arg_repr(a) for a in args] +
                    [f"{k}={_arg_repr(v)}" for k, v in sorted(kwargs.items())])
    return hashlib.md5(text.encode()).hexdigest()


def memoize(timeout: Timeout = _DEFAULT, depends_on: str | Sequence[Dependency] = (), *,
            lock: bool | None = None, stale: float | None = None,
            using: str | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Cache a function's result per arguments, invalidated by writes to ``depends_on``.

    ``@djcache.memoize(300, depends_on=[Product])`` or ``depends_on="auto"``.
    The wrapped function gains ``.invalidate(*args, **kwargs)`` to drop one entry.
    """
    deps = (depends_on,) if isinstance(depends_on, str) else tuple(depends_on)

    def decorate(fn):
        name = f"{fn.__module__}.{fn.__qualname__}"
        family = f"fn:{name}"
        handle = Tagged(*deps, using=using)

        def key_for(args, kwargs):
            return f"fn:{name}:{_args_hash(args, kwargs)}"

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return handle.get_or_set(key_for(args, kwargs), lambda: fn(*args, **kwargs),
                                     timeout, lock=lock, stale=stale, family=family)

        memoized: Any = wrapper   # function attributes, which the stubs of wraps() lack
        memoized.invalidate = lambda *a, **kw: handle.delete(key_for(a, kw))
        memoized.djcache = handle
        return memoized

    return decorate


def cache_page(timeout: Timeout = _DEFAULT, depends_on: str | Sequence[Dependency] = (),
               *, key_prefix: str = "", using: str | None = None,
               lock: bool | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Cache a view's GET/HEAD 200 responses per absolute URL, invalidated by writes.

    ``@djcache.cache_page(60, depends_on=[Product, Category])``. Responses that set
    cookies or vary on Cookie/Authorization are served but not stored (they are per user).
    """
    deps = (depends_on,) if isinstance(depends_on, str) else tuple(depends_on)

    def decorate(view):
        name = f"{view.__module__}.{getattr(view, '__qualname__', type(view).__name__)}"
        family = f"page:{key_prefix or name}"
        handle = Tagged(*deps, using=using)

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            url = request.build_absolute_uri()
            key = f"page:{key_prefix or name}:{hashlib.md5(url.encode()).hexdigest()}"
            box = {}

            def compute():
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render) and \
                        not getattr(response, "is_rendered", True):
                    response = response.render()
                box["response"] = response
                if _cacheable(response):
                    return response
                raise _NotCacheable

            try:
                return handle.get_or_set(key, compute, timeout, lock=lock, family=family)
            except _NotCacheable:
                return box["response"]

        cached_view: Any = wrapper   # a function attribute, which the stubs of wraps() lack
        cached_view.djcache = handle
        return cached_view

    return decorate


class _NotCacheable(Exception):
    pass


def _cacheable(response):
    if getattr(response, "streaming", False) or response.status_code != 200:
        return False
    if response.cookies:
        return False
    vary = response.get("Vary", "").lower()
    if "cookie" in vary or "authorization" in vary or vary.strip() == "*":
        return False
    cc = response.get("Cache-Control", "").lower()
    return "private" not in cc and "no-store" not in cc
