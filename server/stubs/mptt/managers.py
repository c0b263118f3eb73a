"""django-mptt's `TreeManager`: moving and inserting nodes renumber the tree columns of other rows.

mptt shifts `lft`/`rght` (and `tree_id`, `level`) of the rows around a moved or inserted node with
`update()` or a raw UPDATE: no signal is sent for those rows. Their relative order stays as it was.
"""

from django.db import models


class TreeManager(models.Manager):
    def root_nodes(self):
        return self.filter(parent=None)

    def root_node(self, tree_id):
        return self.filter(tree_id=tree_id, parent=None).get()

    def get_queryset_descendants(self, queryset, include_self=False):
        return self.filter(tree_id__in=queryset.values("tree_id"))

    def get_queryset_ancestors(self, queryset, include_self=False):
        return self.filter(tree_id__in=queryset.values("tree_id"))

    def insert_node(self, node, target, position="last-child", save=False, allow_existing_pk=False, refresh_target=True):
        self.filter(tree_id=node.tree_id).update(lft=node.lft, rght=node.rght, tree_id=node.tree_id, level=node.level)
        if save:
            node.save()
        return node

    def move_node(self, node, target, position="last-child"):
        self.filter(tree_id=node.tree_id).update(lft=node.lft, rght=node.rght, tree_id=node.tree_id, level=node.level)
        node.save()

    def rebuild(self):
        self.filter(parent=None).update(lft=1, rght=2, level=0)

    def partial_rebuild(self, tree_id):
        self.filter(tree_id=tree_id).update(lft=1, rght=2, level=0)
