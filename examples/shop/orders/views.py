from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.views.generic import ListView, TemplateView

from .models import Order
from .reports import best_sellers
from .services import order_summary


class AccountOrdersView(LoginRequiredMixin, ListView):
    template_name = "orders/account_orders.html"
    context_object_name = "orders"
    paginate_by = 20

    def get_queryset(self):
        return Order.objects.filter(user=self.request.user).prefetch_related("items")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summary"] = order_summary(self.request.user.pk)
        return context


class StaffDashboardView(UserPassesTestMixin, TemplateView):
    template_name = "orders/dashboard.html"

    def test_func(self):
        return self.request.user.is_staff

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["best_sellers"] = best_sellers()
        return context
