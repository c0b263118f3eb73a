"""Python-Markdown's inline patterns: `handleMatch` gives the element that replaces each match."""


class Pattern:
    def __init__(self, pattern, md=None):
        self.pattern = pattern
        self.md = md
        self.markdown = md

    def handleMatch(self, m):
        return m


class InlineProcessor(Pattern):
    def handleMatch(self, m, data):
        return m, data
