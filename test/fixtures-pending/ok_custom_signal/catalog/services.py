from django.core.cache import cache
from django.db.models import F

from .models import Product
from .signals import prices_changed


def active_products():
    products = cache.get("products:active")
    if products is None:
        products = list(Product.objects.filter(is_active=True).order_by("name"))
        cache.set("products:active", products, 60 * 60)
    return products


def apply_discount(category_id, factor):
    Product.objects.filter(category_id=category_id).update(price=F("price") * factor)
    prices_changed.send(sender=Product, category_id=category_id)
