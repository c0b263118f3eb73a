from django.core.cache import cache

from .models import Product


def apply_prices(prices):
    changed = list(Product.objects.filter(pk__in=prices))
    for item in changed:
        item.price = prices[item.pk]
    Product.objects.bulk_update(changed, ["price"])
    return len(changed)


def deactivate_all():
    Product.objects.update(is_active=False)


def forget(pk):
    cache.delete("products:active")
    cache.delete(f"product:{pk}")
