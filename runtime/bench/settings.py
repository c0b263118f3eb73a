import os

CONFIG = os.environ.get("BENCH_CONFIG", "nocache")
REDIS = os.environ.get("BENCH_REDIS", "127.0.0.1:6379")
SECRET_KEY = "bench"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "bench.benchapp"]
if CONFIG.startswith("djcache"):
    INSTALLED_APPS.append("djcache")
if CONFIG == "cachalot":
    INSTALLED_APPS.append("cachalot")
if CONFIG == "cacheops":
    INSTALLED_APPS.append("cacheops")
    CACHEOPS_REDIS = f"redis://{REDIS}/2"
    CACHEOPS = {"benchapp.*": {"ops": "all", "timeout": 3600}}
if os.environ.get("BENCH_DATABASE", "postgres") == "postgres":
    _host, _port = os.environ.get("BENCH_PG", "127.0.0.1:5432").split(":")
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": _host,
                             "PORT": _port, "USER": "postgres", "PASSWORD": "",
                             "NAME": os.environ.get("BENCH_DB", "djcache_bench"),
                             # persistent connections, as production sites run them
                             "CONN_MAX_AGE": None}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                             "NAME": os.environ.get("BENCH_DB", "/tmp/djcache-bench.sqlite3"),
                             "CONN_MAX_AGE": None}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": f"redis://{REDIS}/1"}}
# djcache's defaults (stats on, flushed every 5 s) except zero-code mode, which needs its alias
DJCACHE = {"AUTO_TAG": ["default"]} if CONFIG == "djcache-zerocode" else {}
CACHALOT_TIMEOUT = 3600
