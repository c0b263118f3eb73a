"""Cache entries read through ``get_or_set`` that record which of them were computed."""


class RecordedEntries:
    """Subclasses give ``key_prefix``, ``mode``, ``handle(name)`` and ``compute(name)``."""

    key_prefix = ""
    mode = ""

    def __init__(self):
        self.computed: list[str] = []

    def handle(self, name):
        raise NotImplementedError

    def compute(self, name):
        raise NotImplementedError

    def read(self, name):
        def compute():
            self.computed.append(name)
            return self.compute(name)

        return self.handle(name).get_or_set(f"{self.key_prefix}:{self.mode}:{name}", compute, 300)

    def warm(self, *names):
        # twice: an "auto" family's first value is stored only when none of its tags was
        # bumped within the last second, which the setup has just done
        for name in names:
            self.read(name)
            self.read(name)
            assert self.read(name) == self.compute(name)
        self.computed.clear()

    def invalidated(self, *names):
        """Read each entry: the value is fresh, and the set of recomputed ones is returned."""
        self.computed.clear()
        for name in names:
            assert self.read(name) == self.compute(name), f"{name}: stale value served"
        return set(self.computed)
