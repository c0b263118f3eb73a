from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Category
from .services import MENU_KEY


@receiver([post_save, post_delete], sender=Category)
def forget_category(sender, instance, **kwargs):
    cache.delete(MENU_KEY)
    # The page of this very category.
    cache.delete(f"category:{instance.slug}")


@receiver([post_save, post_delete], sender=Category)
def forget_category_lists(sender, **kwargs):
    cache.delete("categories:all", version=2)
    cache.delete("categories:featured-on-the-front-page-banner", version=2)  # noqa: E501
