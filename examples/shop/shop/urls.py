from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("shop.api_urls")),
    path("orders/", include("orders.urls")),
    path("djcache/", include("djcache.urls")),
    path("", include("catalog.urls")),
]
