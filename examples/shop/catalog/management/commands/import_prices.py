from django.core.management.base import BaseCommand

from catalog.pricing import apply_price_list, read_price_list


class Command(BaseCommand):
    help = "Apply a price list exported from the ERP (CSV with columns sku,price)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        changed = apply_price_list(read_price_list(path))
        self.stdout.write(f"{changed} prices changed.")
