"""Read paths of the catalog, with their caches."""
from django.core.cache import cache
from django.db.models import Count, Q

from .caching import CATALOG_VERSION_KEY, product_cache_key
from .models import Category, Product

PRODUCT_TIMEOUT = 60 * 15
LISTING_PAGE_SIZE = 24


def get_product(pk):
    """The active product with this pk; raises Product.DoesNotExist."""
    key = product_cache_key(pk)
    product = cache.get(key)
    if product is None:
        product = Product.objects.active().get(pk=pk)
        cache.set(key, product, PRODUCT_TIMEOUT)
    return product


def category_page(category, page):
    """One page of a category's active products, as plain dicts."""
    v = cache.get(CATALOG_VERSION_KEY, 1)
    key = f"catalog:v{v}:category:{category.pk}:page:{page}"
    rows = cache.get(key)
    if rows is None:
        start = (page - 1) * LISTING_PAGE_SIZE
        products = Product.objects.active().in_category(category).order_by("name")
        rows = list(products.values("id", "name", "slug", "price")[start : start + LISTING_PAGE_SIZE])
        cache.set(key, rows, 60 * 60)
    return rows


def category_nav():
    """Top-level categories with their number of active products, for the header menu."""
    nav = cache.get("categories:nav")
    if nav is None:
        nav = list(
            Category.objects.filter(parent__isnull=True)
            .annotate(product_count=Count("products", filter=Q(products__is_active=True)))
            .values("name", "slug", "product_count")
        )
        cache.set("categories:nav", nav, 60 * 30)
    return nav


def _load_categories():
    return list(Category.objects.order_by("position", "name").values("id", "name", "slug", "parent_id"))


def all_categories():
    """Every category; they change rarely, so they are cached until a category is saved."""
    return cache.get_or_set("categories:all", _load_categories, timeout=None)
