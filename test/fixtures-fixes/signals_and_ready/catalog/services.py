from django.core.cache import cache
from django.shortcuts import get_object_or_404

from .models import Category, Product


def menu():
    names = cache.get("categories:menu")
    if names is None:
        names = list(Category.objects.values_list("name", flat=True))
        cache.set("categories:menu", names, 300)
    return names


def product_page(pk):
    key = f"product:{pk}"
    product = cache.get(key)
    if product is None:
        product = get_object_or_404(Product, pk=pk)
        cache.set(key, product, None)
    return product


def rename_category(pk, name):
    category = Category.objects.get(pk=pk)
    category.name = name
    category.save()


def rename_product(pk, name):
    product = Product.objects.get(pk=pk)
    product.name = name
    product.save()


def remove_product(pk):
    Product.objects.get(pk=pk).delete()
