"""django-mptt (https://github.com/django-mptt/django-mptt), as djcache reads it.

An `MPTTModel` is a model whose rows form trees: `get_ancestors()`, `get_children()` and the
other tree lookups are querysets of the node's own model, and `move_to()` saves the node after
renumbering the tree columns of the rows around it with `update()`, which sends no signal.
`TreeForeignKey` is a `ForeignKey` the engine knows by name.
"""
