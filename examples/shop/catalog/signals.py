from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .caching import bump_catalog_version, product_cache_key
from .models import Category, Product


@receiver(post_save, sender=Product)
@receiver(post_delete, sender=Product)
def invalidate_product(sender, instance, **kwargs):
    cache.delete(product_cache_key(instance.pk))
    bump_catalog_version()


@receiver(post_save, sender=Category)
@receiver(post_delete, sender=Category)
def invalidate_category_menus(sender, instance, **kwargs):
    cache.delete_many(
        [
            make_template_fragment_key("sidebar"),
            "categories:nav",
            "categorys:all",
        ]
    )
    bump_catalog_version()
