"""No tables: one unmanaged model, so the dashboard gets a row on the Django admin index."""
from django.db import models


class Dashboard(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = verbose_name_plural = "dashboard"

    def __str__(self):
        return "djcache dashboard"
