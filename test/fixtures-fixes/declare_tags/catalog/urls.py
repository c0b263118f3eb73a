from django.urls import path
from django.views.decorators.cache import cache_page

from . import views

urlpatterns = [
    path("feed/", cache_page(300)(views.product_feed)),
    path("sidebar/", views.sidebar),
    path("menu/", views.menu),
]
