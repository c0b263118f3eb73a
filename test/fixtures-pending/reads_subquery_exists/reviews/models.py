from django.conf import settings
from django.db import models


class Review(models.Model):
    product = models.ForeignKey("catalog.Product", related_name="reviews", on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    rating = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True)
    is_published = models.BooleanField(default=False)
