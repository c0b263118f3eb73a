from django.core.cache import cache
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_page
from rest_framework import generics
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated

from .models import Review
from .serializers import ReviewCreateSerializer, ReviewSerializer

REVIEW_COOLDOWN = 30


@method_decorator(cache_page(60 * 5, cache="api"), name="dispatch")
class ProductReviewListAPIView(generics.ListAPIView):
    serializer_class = ReviewSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return Review.objects.filter(product_id=self.kwargs["product_pk"], is_published=True)


class ReviewCreateAPIView(generics.CreateAPIView):
    serializer_class = ReviewCreateSerializer
    permission_classes = [IsAuthenticated]

    def create(self, request, *args, **kwargs):
        # One review every REVIEW_COOLDOWN seconds per user.
        if not cache.add(f"reviews:cooldown:{request.user.pk}", 1, REVIEW_COOLDOWN):
            raise Throttled(wait=REVIEW_COOLDOWN)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        user = self.request.user
        serializer.save(user=user, display_name=user.get_short_name() or user.get_username())
