from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_page
from django.views.generic import ListView

from .models import Product


@cache_page(60 * 15)
def product_list(request):
    products = Product.objects.select_related("category").filter(is_active=True)
    return render(request, "catalog/product_list.html", {"products": products})


@method_decorator(cache_page(60, key_prefix="products"), name="dispatch")
class ProductListView(ListView):
    queryset = Product.objects.select_related("category")
    template_name = "catalog/product_list.html"


@cache_page(60, cache="pages")
def product_names(request):
    products = Product.objects.select_related("category")
    return render(request, "catalog/product_list.html", {"products": products})


@cache_page(None)
def product_archive(request):
    products = Product.objects.select_related("category")
    return render(request, "catalog/product_list.html", {"products": products})


def product_feed(request):
    products = Product.objects.select_related("category")
    return render(request, "catalog/product_list.html", {"products": products})


def sidebar(request):
    products = Product.objects.select_related("category")
    return render(request, "catalog/sidebar.html", {"products": products})


def menu(request):
    products = Product.objects.select_related("category")
    return render(request, "catalog/menu.html", {"products": products})
