"""django-mptt's `TreeQuerySet`: the descendants and ancestors of a queryset's nodes are rows of its model."""

from django.db import models


class TreeQuerySet(models.QuerySet):
    def get_descendants(self, include_self=False):
        return self.model._default_manager.filter(tree_id__in=self.values("tree_id"))

    def get_ancestors(self, include_self=False):
        return self.model._default_manager.filter(tree_id__in=self.values("tree_id"))

    def get_cached_trees(self):
        return list(self)
