from django.contrib import admin

from .models import Product, Tag

admin.site.register(Tag)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    filter_horizontal = ["tags"]
