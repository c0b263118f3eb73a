from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.core.management.base import BaseCommand

from catalog.caching import bump_catalog_version


class Command(BaseCommand):
    help = "Drop the storefront menus and retire every cached listing (after a manual data fix)."

    def handle(self, *args, **options):
        cache.delete("categories:nav")
        cache.delete(make_template_fragment_key("sidebar"))
        bump_catalog_version()
        self.stdout.write(self.style.SUCCESS("Storefront caches flushed."))
