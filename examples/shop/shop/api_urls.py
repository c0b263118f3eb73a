"""The JSON API, mounted under /api/."""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from catalog import api as catalog_api
from orders import api as orders_api
from reviews import api as reviews_api

router = DefaultRouter()
router.register("staff/shipping-methods", orders_api.ShippingMethodViewSet, basename="shipping-method")

urlpatterns = [
    path("products/", catalog_api.ProductListAPIView.as_view(), name="api-product-list"),
    path("products/<int:pk>/", catalog_api.ProductDetailAPIView.as_view(), name="api-product-detail"),
    path(
        "products/<int:product_pk>/reviews/",
        reviews_api.ProductReviewListAPIView.as_view(),
        name="api-product-reviews",
    ),
    path("categories/", catalog_api.CategoryListAPIView.as_view(), name="api-category-list"),
    path("reviews/", reviews_api.ReviewCreateAPIView.as_view(), name="api-review-create"),
    path("shipping-options/", orders_api.ShippingOptionsAPIView.as_view(), name="api-shipping-options"),
    path("checkout/", orders_api.CheckoutAPIView.as_view(), name="api-checkout"),
    path("orders/<int:pk>/cancel/", orders_api.CancelOrderAPIView.as_view(), name="api-order-cancel"),
    path("", include(router.urls)),
]
