from django.contrib import admin

from .models import Order, OrderItem

# ShippingMethod is not registered here on purpose: the admin's "delete selected" action
# runs QuerySet.delete(), which skips ShippingMethod.delete() and would leave the cached
# list of shipping methods stale. Staff edit shipping methods through the staff API.


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "status", "total", "created_at")
    list_filter = ("status", "shipping_method")
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)
    inlines = (OrderItemInline,)
