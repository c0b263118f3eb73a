INSTALLED_APPS = ["django.contrib.admin", "shop"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
