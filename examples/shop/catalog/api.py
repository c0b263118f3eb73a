from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Product
from .serializers import ProductSerializer
from .services import all_categories, get_product


class ProductListAPIView(generics.ListAPIView):
    serializer_class = ProductSerializer
    queryset = Product.objects.active().select_related("category")


class ProductDetailAPIView(APIView):
    def get(self, request, pk):
        try:
            product = get_product(pk)
        except Product.DoesNotExist:
            raise NotFound()
        return Response(ProductSerializer(product).data)


class CategoryListAPIView(APIView):
    def get(self, request):
        return Response(all_categories())
