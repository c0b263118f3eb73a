"""drf-extensions (https://github.com/chibisov/drf-extensions), as djcache reads it: only what it does with the cache."""
