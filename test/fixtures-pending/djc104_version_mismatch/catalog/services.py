from django.core.cache import cache

from .models import Category


def category_menu():
    menu = cache.get("categories:menu", version=2)
    if menu is None:
        menu = list(Category.objects.order_by("name").values("name", "slug"))
        cache.set("categories:menu", menu, 60 * 30, version=2)  # expect: DJC106
    return menu
