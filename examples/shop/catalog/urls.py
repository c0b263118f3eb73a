from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.ProductListView.as_view(), name="product-list"),
    path("c/<slug:slug>/", views.CategoryDetailView.as_view(), name="category"),
    path("p/<int:pk>/", views.ProductDetailView.as_view(), name="product"),
]
