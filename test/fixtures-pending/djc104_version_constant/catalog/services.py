from django.core.cache import cache

from .models import Category

MENU_VERSION = 2


def category_menu():
    menu = cache.get("categories:menu", version=MENU_VERSION)
    if menu is None:
        menu = list(Category.objects.order_by("name").values("name", "slug"))
        cache.set("categories:menu", menu, 60 * 30, version=MENU_VERSION)  # expect: DJC106
    return menu
