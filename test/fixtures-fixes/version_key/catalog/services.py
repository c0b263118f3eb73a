from django.core.cache import cache

from .models import Product

CATALOG_VERSION_KEY = "catalog:version"


def product_page(page):
    v = cache.get(CATALOG_VERSION_KEY, 1)
    key = f"catalog:v{v}:products:{page}"
    rows = cache.get(key)
    if rows is None:
        rows = list(Product.objects.order_by("name")[(page - 1) * 20 : page * 20])
        cache.set(key, rows, None)
    return rows


def rename_product(pk, name):
    product = Product.objects.get(pk=pk)
    product.name = name
    product.save()
