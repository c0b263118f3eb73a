from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from catalog.models import StockRecord

from .cache_keys import SHIPPING_METHODS_KEY, order_summary_key
from .models import Order, OrderItem, ShippingMethod


class OutOfStock(Exception):
    pass


class OrderNotCancellable(Exception):
    pass


def active_shipping_methods():
    methods = cache.get(SHIPPING_METHODS_KEY)
    if methods is None:
        methods = list(ShippingMethod.objects.filter(is_active=True))
        cache.set(SHIPPING_METHODS_KEY, methods, 60 * 60 * 24)
    return methods


def order_summary(user_id):
    """How many orders a customer has placed and what they spent, for the account page."""
    key = order_summary_key(user_id)
    summary = cache.get(key)
    if summary is None:
        summary = (
            Order.objects.filter(user_id=user_id)
            .exclude(status=Order.Status.CANCELLED)
            .aggregate(orders=Count("id"), spent=Sum("total"))
        )
        cache.set(key, summary, 60 * 60)
    return summary


def place_order(user, lines, shipping_method):
    """Create an order for ``lines``, a list of (product, quantity) pairs."""
    with transaction.atomic():
        for product, quantity in lines:
            reserved = StockRecord.objects.filter(product=product, quantity__gte=quantity).update(
                quantity=F("quantity") - quantity
            )
            if not reserved:
                raise OutOfStock(product)
        subtotal = sum(product.price * quantity for product, quantity in lines)
        order = Order.objects.create(
            user=user,
            shipping_method=shipping_method,
            shipping_price=shipping_method.price,
            total=subtotal + shipping_method.price,
        )
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=product,
                    product_name=product.name,
                    unit_price=product.price,
                    quantity=quantity,
                )
                for product, quantity in lines
            ]
        )
    return order


def cancel_order(order):
    with transaction.atomic():
        # A conditional update, so two concurrent cancels can't both put the stock back.
        cancelled = Order.objects.filter(
            pk=order.pk, status__in=[Order.Status.PENDING, Order.Status.PAID]
        ).update(status=Order.Status.CANCELLED, updated_at=timezone.now())
        if not cancelled:
            raise OrderNotCancellable(order.pk)
        for item in order.items.all():
            StockRecord.objects.filter(product_id=item.product_id).update(quantity=F("quantity") + item.quantity)
        # update() sends no post_save, so the receiver won't run: drop the summary here.
        cache.delete(order_summary_key(order.user_id))
    order.refresh_from_db()
    return order
