"""Python-Markdown's tree processors: `run(root)` changes the element tree the conversion serializes."""


class Treeprocessor:
    def __init__(self, md=None):
        self.md = md
        self.markdown = md

    def run(self, root):
        return root
