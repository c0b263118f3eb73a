from django.core.cache import cache

from .models import Product


def active_products():
    return cache.get_or_set("products:active", lambda: list(Product.objects.filter(is_active=True)), None)


def product(pk):
    return cache.get_or_set(f"product:{pk}", lambda: Product.objects.get(pk=pk), None)


def rename(pk, name):
    item = Product.objects.get(pk=pk)
    item.name = name
    item.save()
