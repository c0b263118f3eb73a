from django.core.cache import cache
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import Product


@receiver(m2m_changed, sender=Product.tags.through)
def product_tags_changed(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        cache.delete(f"product:{instance.pk}:tags")
