from django.core.cache import cache


def forget_active_products(sender, instance, **kwargs):
    cache.delete("products:active")
