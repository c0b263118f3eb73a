from django.apps import AppConfig


class DjcacheConfig(AppConfig):
    name = "djcache"
    verbose_name = "djcache"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from . import autotag, checks, invalidation, tags  # noqa: F401 - checks registers on import
        tags.reset_maps()
        invalidation.connect()
        autotag.install()
