"""A locmem cache that can be switched off, keeping its data, like a server that goes away
and comes back with what it had (a restart from a snapshot, a lagging replica)."""
from django.core.cache.backends.locmem import LocMemCache

DOWN: set[str] = set()   # LOCATIONs that refuse every operation


class FlakyCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self.location = name

    def _answer(self):
        if self.location in DOWN:
            raise ConnectionError(f"cache {self.location!r} is unreachable")

    def get(self, *args, **kwargs):
        self._answer()
        return super().get(*args, **kwargs)

    def get_many(self, *args, **kwargs):
        self._answer()
        return super().get_many(*args, **kwargs)

    def set(self, *args, **kwargs):
        self._answer()
        return super().set(*args, **kwargs)

    def set_many(self, *args, **kwargs):
        self._answer()
        return super().set_many(*args, **kwargs)

    def add(self, *args, **kwargs):
        self._answer()
        return super().add(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._answer()
        return super().delete(*args, **kwargs)

    def incr(self, *args, **kwargs):
        self._answer()
        return super().incr(*args, **kwargs)
