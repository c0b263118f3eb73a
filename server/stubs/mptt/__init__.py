"""django-mptt (https://github.com/django-mptt/django-mptt), as djcache reads it.

An `MPTTModel` is a model whose rows form trees: `get_ancestors()`, `get_children()` and the
other tree lookups are querysets of the node's own model, and `move_to()` renumbers the tree
columns of the other rows with `update()` (no signal) and saves the node.
`TreeForeignKey` is a `ForeignKey` the engine knows by name, and `TreeManager` a manager whose
methods it does not follow (a manager method it does not know gives rows of the model).
"""
