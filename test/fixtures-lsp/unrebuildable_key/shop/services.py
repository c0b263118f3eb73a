from django.core.cache import cache

from .models import Product


def top_products(limit):
    key = f"top:{limit}"
    rows = cache.get(key)
    if rows is None:
        rows = list(Product.objects.order_by("-sold").values("name")[:limit])
        cache.set(key, rows, None)
    return rows
