from django.core.cache import cache
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Category


@receiver(post_save, sender=Category)
def forget_menu(sender, **kwargs):
    cache.delete("categories:menu")
