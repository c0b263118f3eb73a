from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .caching import bump_catalog_version
from .models import Category, Product


@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Category)
def catalog_changed(sender, **kwargs):
    bump_catalog_version()
