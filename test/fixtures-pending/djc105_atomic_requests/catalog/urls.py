from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("products/", views.active_products, name="products"),
    path("categories/<int:category_id>/hide/", views.hide_category, name="hide-category"),
    path("categories/<int:category_id>/show/", views.show_category, name="show-category"),
]
