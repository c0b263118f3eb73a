from django.db.models import Avg, Count

from shop.utils.caching import memoize

from .models import Review


@memoize(timeout=60 * 60)
def rating_summary(product_id):
    return Review.objects.filter(product_id=product_id, is_published=True).aggregate(
        average=Avg("rating"), count=Count("id")
    )
