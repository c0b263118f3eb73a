from django.core.cache import cache

from .models import Product


def get_product(pk):
    key = f"product:{pk}"
    product = cache.get(key)
    if product is None:
        product = Product.objects.get(pk=pk)
        cache.set(key, product, 60 * 15)
    return product


def active_products():
    products = cache.get("products:active")
    if products is None:
        products = list(Product.objects.filter(is_active=True).order_by("name"))
        cache.set("products:active", products, 60 * 15)
    return products


def cheapest_products(limit=10):
    products = cache.get("products:cheapest")
    if products is None:
        products = list(Product.objects.filter(is_active=True).order_by("price")[:limit])
        cache.set("products:cheapest", products, 60 * 15)  # expect: DJC102
    return products
