"""Products related to a product, cached through the djcache runtime's tagged API."""
from djcache import tagged

from .models import Product

RELATED_COUNT = 4


def _category_products(category_id):
    products = Product.objects.active().filter(category_id=category_id).order_by("name")
    return list(products.values("id", "name")[: RELATED_COUNT + 1])


def related_products(product):
    """Up to four other active products of the product's category; any Product write invalidates them."""
    rows = tagged(Product).get_or_set(
        f"related:{product.category_id}", lambda: _category_products(product.category_id), timeout="auto")
    return [row for row in rows if row["id"] != product.pk][:RELATED_COUNT]
