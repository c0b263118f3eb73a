from django.core.cache import caches
from django.db.models import Sum

from .models import Order


def sales_total():
    total = caches["reports"].get("sales:total", version=2)
    if total is None:
        total = Order.objects.aggregate(total=Sum("total"))["total"]
        caches["reports"].set("sales:total", total, None, version=2)
    return total


def record_order(total):
    Order.objects.create(total=total)


def cancel_order(pk):
    Order.objects.get(pk=pk).delete()
