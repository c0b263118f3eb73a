from django.shortcuts import get_object_or_404
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Order, ShippingMethod
from .serializers import CheckoutSerializer, OrderSerializer, ShippingMethodSerializer
from .services import OrderNotCancellable, OutOfStock, active_shipping_methods, cancel_order, place_order


class ShippingOptionsAPIView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(ShippingMethodSerializer(active_shipping_methods(), many=True).data)


class ShippingMethodViewSet(viewsets.ModelViewSet):
    """Staff-only management of shipping methods."""

    queryset = ShippingMethod.objects.all()
    serializer_class = ShippingMethodSerializer
    permission_classes = [IsAdminUser]


class CheckoutAPIView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = [(line["product"], line["quantity"]) for line in data["lines"]]
        try:
            order = place_order(request.user, lines, data["shipping_method"])
        except OutOfStock as exc:
            raise ValidationError({"lines": [f"{exc.args[0]} is out of stock."]})
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class CancelOrderAPIView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        order = get_object_or_404(Order, pk=pk, user=request.user)
        try:
            order = cancel_order(order)
        except OrderNotCancellable:
            raise ValidationError({"status": ["This order can no longer be cancelled."]})
        return Response(OrderSerializer(order).data)
