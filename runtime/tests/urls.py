from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from djcache import cache_page
from tests.testapp.models import Category, Product

COUNTER = {"n": 0}


@cache_page(60, depends_on=[Product, Category])
def product_list(request):
    COUNTER["n"] += 1
    names = ",".join(p.name for p in Product.objects.select_related("category").order_by("pk"))
    return HttpResponse(names)


@cache_page(60, depends_on="auto")
def category_names(request):
    COUNTER["n"] += 1
    return HttpResponse(",".join(Category.objects.order_by("pk").values_list("name", flat=True)))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("products/", product_list),
    path("categories/", category_names),
    path("djcache/", include("djcache.urls")),
]
