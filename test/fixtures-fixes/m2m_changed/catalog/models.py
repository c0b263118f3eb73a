from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Product(models.Model):
    name = models.CharField(max_length=200)
    tags = models.ManyToManyField(Tag, related_name="products", blank=True)
