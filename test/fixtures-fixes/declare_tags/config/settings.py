INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.contenttypes",
    "djcache",
    "catalog",
]
