from django.core.cache import cache

from .models import Category

MENU_KEY = "categories:menu"


def menu():
    return cache.get_or_set(MENU_KEY, lambda: list(Category.objects.values("name", "slug")), 600)


def category(slug):
    return cache.get_or_set(f"category:{slug}", lambda: Category.objects.get(slug=slug), 600)


def all_categories():
    return cache.get_or_set("categories:all", lambda: list(Category.objects.all()), 600, version=2)


def banner_categories():
    return cache.get_or_set("categories:featured-on-the-front-page-banner", lambda: list(Category.objects.all()[:3]), 600, version=2)


def rename(pk, name):
    item = Category.objects.get(pk=pk)
    item.name = name
    item.save()
