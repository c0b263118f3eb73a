from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Product


@receiver([post_save, post_delete], sender=Product)
def forget_product(sender, instance, **kwargs):
    cache.delete_many(["products:active", f"product:{instance.pk}"])
