from django.core.cache import cache

from .models import Category, Product


def product_card(pk):
    key = f"product:{pk}"
    card = cache.get(key)
    if card is None:
        card = Product.objects.select_related("category").get(pk=pk)
        cache.set(key, card, None)
    return card


def rename_category(pk, name):
    category = Category.objects.get(pk=pk)
    category.name = name
    category.save()


def rename_product(pk, name):
    product = Product.objects.get(pk=pk)
    product.name = name
    product.save()
