from django.core.cache import cache

from .caching import catalog_version
from .models import Product


def category_page(category_slug, page):
    v = catalog_version()
    key = f"catalog:v{v}:category:{category_slug}:page:{page}"
    rows = cache.get(key)
    if rows is None:
        start = (page - 1) * 24
        rows = list(
            Product.objects.filter(category__slug=category_slug, is_active=True)
            .select_related("category")
            .order_by("name")[start:start + 24]
        )
        cache.set(key, rows, 60 * 60)
    return rows
