from django.core.cache import cache

from .models import Product, Tag


def product_tags(pk):
    key = f"product:{pk}:tags"
    names = cache.get(key)
    if names is None:
        product = Product.objects.get(pk=pk)
        names = list(product.tags.values_list("name", flat=True))
        cache.set(key, names, 60 * 60)
    return names


def tag_product(pk, name):
    tag, _ = Tag.objects.get_or_create(name=name)
    Product.objects.get(pk=pk).tags.add(tag)
