"""A locmem cache that can be switched off, keeping its data, like a server that goes away
and comes back with what it had (a restart from a snapshot, a lagging replica)."""
from django.core.cache.backends.locmem import LocMemCache

DOWN: set[str] = set()   # LOCATIONs that refuse every operation


def _refused_while_down(name):
    operation = getattr(LocMemCache, name)

    def call(self, *args, **kwargs):
        if self.location in DOWN:
            raise ConnectionError(f"cache {self.location!r} is unreachable")
        return operation(self, *args, **kwargs)

    call.__name__ = name
    return call


class FlakyCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self.location = name

    # every operation djcache uses
    get = _refused_while_down("get")
    get_many = _refused_while_down("get_many")
    set = _refused_while_down("set")
    set_many = _refused_while_down("set_many")
    add = _refused_while_down("add")
    delete = _refused_while_down("delete")
    incr = _refused_while_down("incr")
