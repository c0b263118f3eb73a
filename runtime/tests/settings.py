"""Test settings. Servers come from the environment (runtime/scripts/ci.sh sets them):

DJCACHE_TEST_REDIS=127.0.0.1:6390  DJCACHE_TEST_MEMCACHED=127.0.0.1:11235
DJCACHE_TEST_CLUSTER=127.0.0.1:7101  DJCACHE_TEST_PG=127.0.0.1:54329
DJCACHE_REQUIRE_SERVERS=1 turns a missing server into a failure instead of a skip.
"""
import atexit
import os
import shutil
import tempfile

SECRET_KEY = "test"
DEBUG = False
USE_TZ = True
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = [
    "django.contrib.admin",       # the dashboard's row on the admin index
    "django.contrib.messages",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "djcache",
    "tests.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": [
                  "django.template.context_processors.request",
                  "django.contrib.auth.context_processors.auth",
                  "django.contrib.messages.context_processors.messages"]}}]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
PG = os.environ.get("DJCACHE_TEST_PG")
if PG:
    host, port = PG.split(":")
    DATABASES["pg"] = {"ENGINE": "django.db.backends.postgresql", "HOST": host, "PORT": port,
                       "NAME": "djcache", "USER": "postgres", "PASSWORD": ""}

_tmp = os.environ.get("DJCACHE_TEST_TMP")
if not _tmp:
    # A folder of this process's own (ci.sh passes one in and removes it): gone when it exits.
    _tmp = tempfile.mkdtemp(prefix="djcache-test-")
    atexit.register(shutil.rmtree, _tmp, ignore_errors=True)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a",
                "OPTIONS": {"MAX_ENTRIES": 100000}},
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b",
               "OPTIONS": {"MAX_ENTRIES": 100000}},
    "db": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
           "LOCATION": "djcache_test_cache"},
    "file": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
             "LOCATION": os.path.join(_tmp, "filecache")},
}
# zero-code mode (tests/test_autotag.py turns AUTO_TAG on for these)
CACHES["zero"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "z"}
CACHES["template_fragments"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                "LOCATION": "f"}
CACHES["flaky"] = {"BACKEND": "tests.flaky_cache.FlakyCache", "LOCATION": "flaky"}
REDIS = os.environ.get("DJCACHE_TEST_REDIS")
if REDIS:
    CACHES["redis"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                       "LOCATION": f"redis://{REDIS}/0"}
    CACHES["django_redis"] = {"BACKEND": "django_redis.cache.RedisCache",
                              "LOCATION": f"redis://{REDIS}/1",
                              "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"}}
MEMCACHED = os.environ.get("DJCACHE_TEST_MEMCACHED")
if MEMCACHED:
    CACHES["memcached"] = {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                           "LOCATION": MEMCACHED}
CLUSTER = os.environ.get("DJCACHE_TEST_CLUSTER")
if CLUSTER:
    CACHES["cluster"] = {"BACKEND": "djcache.backends.redis_cluster.RedisClusterCache",
                         "LOCATION": f"redis://{CLUSTER}"}

DATABASE_ROUTERS = ["tests.routers.CacheRouter"]
DJCACHE = {"CACHE": "default", "STATS_FLUSH_INTERVAL": 3600,
           "LOST_BUMPS_MARKER_DIR": os.path.join(_tmp, "markers")}
LOGGING_CONFIG = None
