"""django-mptt's `MPTTModel`: tree lookups are querysets of the node's own model.

The lookups filter on the tree columns mptt adds (`tree_id`, `lft`, `rght`) and on the parent
key; mptt's `order_by` of the tree columns is left out. Moving a node renumbers the tree columns
of the rows around it with `update()`, which sends no signal, and saves the node; inserting one
renumbers the others too (its own save is the caller's, or `save=True`, which is not followed).
"""

from django.db import models


class MPTTModel(models.Model):
    class Meta:
        abstract = True

    def get_ancestors(self, ascending=False, include_self=False):
        return type(self)._default_manager.filter(tree_id=self.tree_id, lft__lte=self.lft, rght__gte=self.rght)

    def get_descendants(self, include_self=False):
        return type(self)._default_manager.filter(tree_id=self.tree_id, lft__gte=self.lft, rght__lte=self.rght)

    def get_family(self):
        return type(self)._default_manager.filter(tree_id=self.tree_id)

    def get_children(self):
        return type(self)._default_manager.filter(parent=self)

    def get_siblings(self, include_self=False):
        return type(self)._default_manager.filter(parent=self.parent)

    def get_leafnodes(self, include_self=False):
        return self.get_descendants(include_self)

    def get_next_sibling(self, *filter_args, **filter_kwargs):
        return self.get_siblings().filter(*filter_args, **filter_kwargs).first()

    def get_previous_sibling(self, *filter_args, **filter_kwargs):
        return self.get_siblings().filter(*filter_args, **filter_kwargs).last()

    def get_root(self):
        return type(self)._default_manager.filter(tree_id=self.tree_id, parent=None).get()

    def move_to(self, target, position="first-child"):
        _renumber_tree(self)
        self.save()

    def insert_at(self, target, position="first-child", save=False, allow_existing_pk=False, refresh_target=True):
        _renumber_tree(self)


def _renumber_tree(node):
    """Make room for the node: the tree columns of the rows around it shift, with no signal sent."""
    type(node)._default_manager.filter(tree_id=node.tree_id).update(
        lft=node.lft, rght=node.rght, tree_id=node.tree_id, level=node.level
    )
