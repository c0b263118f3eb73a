from django.core.cache import cache
from django.db.models import Exists, OuterRef, Subquery

from reviews.models import Review

from .models import Product


def reviewed_products():
    rows = cache.get("products:reviewed")
    if rows is None:
        published = Review.objects.filter(product=OuterRef("pk"), is_published=True)
        rows = list(Product.objects.filter(Exists(published)).values("name", "slug"))
        cache.set("products:reviewed", rows, 60 * 10)  # expect: DJC101
    return rows


def latest_ratings():
    rows = cache.get("products:latest-rating")
    if rows is None:
        newest = Review.objects.filter(product=OuterRef("pk")).order_by("-id").values("rating")[:1]
        rows = list(Product.objects.annotate(latest_rating=Subquery(newest)).values("name", "latest_rating"))
        cache.set("products:latest-rating", rows, 60 * 10)  # expect: DJC101
    return rows
