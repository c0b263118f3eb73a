"""Numbers for the staff dashboard."""
from django.core.cache import cache
from django.db.models import Sum

from .models import OrderItem


def best_sellers(limit=10):
    key = f"dashboard:bestsellers:{limit}"
    rows = cache.get(key)
    if rows is None:
        rows = list(
            OrderItem.objects.values("product_id", "product_name")
            .annotate(sold=Sum("quantity"))
            .order_by("-sold")[:limit]
        )
        cache.set(key, rows, 60 * 60)
    return rows
