from django.core.cache import caches
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Review
from .services import rating_summary


@receiver([post_save, post_delete], sender=Review)
def review_changed(sender, instance, **kwargs):
    rating_summary.invalidate(instance.product_id)
    # cache_page keys hash the URL and headers, so they can't be deleted one by one.
    # The "api" alias holds only those responses: flush it.
    caches["api"].clear()
