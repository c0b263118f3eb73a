"""Python-Markdown's block parser and processors: `run(parent, blocks)` adds elements to `parent`."""


class BlockParser:
    def __init__(self, md):
        self.md = md

    def parseDocument(self, lines):
        return BlockProcessor(self).run(lines, lines)


class BlockProcessor:
    def __init__(self, parser):
        self.parser = parser

    def test(self, parent, block):
        return False

    def run(self, parent, blocks):
        return parent
