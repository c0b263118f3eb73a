from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self):
        from .models import Product
        from .signals import forget_active_products

        post_save.connect(forget_active_products, sender=Product, dispatch_uid="catalog.forget_active_products.save")
        post_delete.connect(forget_active_products, sender=Product, dispatch_uid="catalog.forget_active_products.delete")
