from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Product, Tag


@receiver([post_save, post_delete], sender=Product)
def product_changed(sender, instance, **kwargs):
    cache.delete(f"product:{instance.pk}:tags")


@receiver([post_save, post_delete], sender=Tag)
def tag_changed(sender, instance, **kwargs):
    cache.delete_many([f"product:{pk}:tags" for pk in instance.products.values_list("pk", flat=True)])
