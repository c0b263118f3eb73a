from django.urls import path

from . import dashboard, views

app_name = "djcache"
urlpatterns = [
    path("", views.stats_view, name="stats"),
    path("stats.json", views.stats_view, name="stats-json"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
]
