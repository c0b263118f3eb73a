from django.core.cache import cache

from .models import Product


def product_page(page):
    key = f"products:page:{page}"
    rows = cache.get(key)
    if rows is None:
        rows = list(Product.objects.order_by("name")[(page - 1) * 20 : page * 20])
        cache.set(key, rows, None)
    return rows


def product_padded(pk):
    key = f"product:{pk:08d}"
    product = cache.get(key)
    if product is None:
        product = Product.objects.get(pk=pk)
        cache.set(key, product, None)  # noqa: E501
    return product


def rename_product(pk, name):
    product = Product.objects.get(pk=pk)
    product.name = name
    product.save()
