from django.core.cache import cache

from .models import Product


def active_products():
    products = cache.get("products:active")
    if products is None:
        products = list(Product.objects.filter(is_active=True).order_by("name"))
        cache.set("products:active", products, 60 * 60)
    return products
