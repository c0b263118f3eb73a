from django.core.cache import cache

from .models import Product, ProductTag


def product_tags(pk):
    key = f"product:{pk}:tags"
    names = cache.get(key)
    if names is None:
        product = Product.objects.get(pk=pk)
        names = list(product.tags.values_list("name", flat=True))
        cache.set(key, names, 60 * 60)  # expect: DJC101 info
    return names


def tag_product(product, tag):
    product.tags.add(tag, through_defaults={"position": 0})


def pin_tag(product_id, tag_id):
    ProductTag.objects.create(product_id=product_id, tag_id=tag_id, position=1)  # expect: DJC103
