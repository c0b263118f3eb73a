"""The dashboard on the admin index: its "model" has no table, its list is the dashboard page."""
from django.contrib import admin

from .dashboard import dashboard_view
from .models import Dashboard


def _staff(request):
    user = request.user
    return bool(user.is_active and user.is_staff)


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return _staff(request)

    def has_view_permission(self, request, obj=None):
        return _staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return dashboard_view(request, extra_context)
