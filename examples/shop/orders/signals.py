from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .cache_keys import order_summary_key
from .models import Order


@receiver([post_save, post_delete], sender=Order)
def forget_order_summary(sender, instance, **kwargs):
    key = order_summary_key(instance.user_id)
    transaction.on_commit(lambda: cache.delete(key))
