class CacheRouter:
    """Keeps the database cache table in the "other" SQLite database (see README: a
    DatabaseCache on the same SQLite database as the data is not supported)."""

    def db_for_read(self, model, **hints):
        return "other" if model._meta.app_label == "django_cache" else None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "django_cache":
            return db == "other"
        return None
