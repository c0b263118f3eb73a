from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=50)


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Supplier(models.Model):
    name = models.CharField(max_length=50)


class Product(models.Model):
    name = models.CharField(max_length=50)
    price = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
    tags = models.ManyToManyField(Tag, related_name="products")
    suppliers = models.ManyToManyField(Supplier, through="Supply", related_name="products")


class Supply(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE)


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    text = models.CharField(max_length=50)


class Place(models.Model):
    name = models.CharField(max_length=50)


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)


class Unrelated(models.Model):
    name = models.CharField(max_length=50)


class SalesOrder(models.Model):
    """A table in another PostgreSQL schema; the peer-scenario tests create it themselves,
    so it is not managed."""
    number = models.CharField(max_length=20)
    amount = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = '"sales"."order"'
