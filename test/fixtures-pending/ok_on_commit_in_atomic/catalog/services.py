from django.core.cache import cache
from django.db import transaction

from .models import Product


def active_products():
    products = cache.get("products:active")
    if products is None:
        products = list(Product.objects.filter(is_active=True))
        cache.set("products:active", products, 60 * 60)
    return products


def deactivate_category(category_id):
    with transaction.atomic():
        Product.objects.filter(category_id=category_id).update(is_active=False)
        transaction.on_commit(lambda: cache.delete("products:active"))
