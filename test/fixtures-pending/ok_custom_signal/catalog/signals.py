from django.core.cache import cache
from django.dispatch import Signal, receiver

# Sent after bulk price changes, which send no post_save.
prices_changed = Signal()


@receiver(prices_changed)
def forget_active_products(sender, **kwargs):
    cache.delete("products:active")
