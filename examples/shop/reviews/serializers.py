from rest_framework import serializers

from shop.utils.text import render_markdown

from .models import Review


class ReviewSerializer(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "display_name", "rating", "title", "body_html", "created_at"]

    def get_body_html(self, obj):
        return render_markdown(obj.body)


class ReviewCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "product", "rating", "title", "body"]
