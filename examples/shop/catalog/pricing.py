"""Nightly price import from the ERP export."""
import csv
from decimal import Decimal

from .models import Product


def read_price_list(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["sku"]: Decimal(row["price"]) for row in csv.DictReader(fh)}


def apply_price_list(prices):
    """Set the price of every product whose SKU is in ``prices``; returns how many changed."""
    changed = []
    for product in Product.objects.filter(sku__in=list(prices)):
        new_price = prices[product.sku]
        if product.price != new_price:
            product.price = new_price
            changed.append(product)
    Product.objects.bulk_update(changed, ["price"], batch_size=500)
    return len(changed)
