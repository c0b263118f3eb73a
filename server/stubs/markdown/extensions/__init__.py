"""Python-Markdown's extension base class: `extendMarkdown` registers processors (see markdown/__init__.py)."""


class Extension:
    def __init__(self, **kwargs):
        self.config = kwargs

    def extendMarkdown(self, md, md_globals=None):
        return None
