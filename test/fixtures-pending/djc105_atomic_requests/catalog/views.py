from django.core.cache import cache
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .models import Product


def active_products(request):
    rows = cache.get("products:active")
    if rows is None:
        rows = list(Product.objects.filter(is_active=True).values("name", "slug"))
        cache.set("products:active", rows, 60 * 60)
    return JsonResponse({"products": rows})


@require_POST
def hide_category(request, category_id):
    Product.objects.filter(category_id=category_id).update(is_active=False)
    cache.delete("products:active")  # expect: DJC105
    return redirect("catalog:products")


@require_POST
@transaction.non_atomic_requests
def show_category(request, category_id):
    Product.objects.filter(category_id=category_id).update(is_active=True)
    cache.delete("products:active")
    return redirect("catalog:products")
