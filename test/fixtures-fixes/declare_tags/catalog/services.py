from django.core.cache import cache

from .caching import memoize, remember
from .models import Product


def summary():
    return cache.get_or_set("catalog:summary", lambda: list(Product.objects.select_related("category")), 600)


@memoize(timeout=60 * 60)
def category_products(category_id):
    return [p.name for p in Product.objects.select_related("category").filter(category_id=category_id)]


@remember(120)
def active_products():
    return list(Product.objects.select_related("category").filter(is_active=True))


def refresh(category_id):
    category_products.invalidate(category_id)
    return category_products(category_id)
