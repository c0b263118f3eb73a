from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.AccountOrdersView.as_view(), name="account"),
    path("dashboard/", views.StaffDashboardView.as_view(), name="dashboard"),
]
