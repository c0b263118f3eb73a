"""Get/set pairs of every shape "Declare cache tags" meets."""
from django.core.cache import cache

from .models import Product

_MISSING = object()


def product_names():
    names = cache.get("products:names")
    if not names:
        names = [p.name for p in Product.objects.select_related("category")]
    cache.set("products:names", names, 300)
    return names


def active_count():
    count = cache.get("products:active")
    if not count:
        count = Product.objects.select_related("category").filter(is_active=True).count()
        cache.set("products:active", count, 60)
    return count


def category_names(category_id):
    key = f"products:category:{category_id}"
    names = cache.get(key, _MISSING)
    if names is not _MISSING:
        return names
    # Products of the category, by name.
    products = Product.objects.select_related("category").filter(category_id=category_id)
    names = sorted(p.name for p in products)
    cache.set(key, names, timeout=600)
    return names


def latest_names(limit):
    names = cache.get("products:latest")
    if names is None:
        rows = Product.objects.select_related("category").order_by("-id")[:limit]
        names = [r.name for r in rows]
        cache.set("products:latest", names)
    return names, len(rows or [])
