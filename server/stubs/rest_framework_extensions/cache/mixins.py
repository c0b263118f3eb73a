"""drf-extensions' response-caching mixins, as djcache reads them.

A view class that inherits `ListCacheResponseMixin` has its `list()` response stored as
`@cache_response` stores it, `RetrieveCacheResponseMixin` its `retrieve()`, and
`CacheResponseMixin` both. djcache reports each as an entry of the project class that inherits it,
with what that class reads (its `queryset`, `get_queryset`, serializer). The timeouts the library
reads from the view's `list_cache_timeout` / `object_cache_timeout` are its defaults here.
"""

from rest_framework_extensions.cache.decorators import cache_response


class BaseCacheResponseMixin:
    pass


class ListCacheResponseMixin(BaseCacheResponseMixin):
    @cache_response()
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class RetrieveCacheResponseMixin(BaseCacheResponseMixin):
    @cache_response()
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class CacheResponseMixin(RetrieveCacheResponseMixin, ListCacheResponseMixin):
    pass
