"""Python-Markdown's preprocessors: `run(lines)` gives the lines the conversion goes on with."""


class Preprocessor:
    def __init__(self, md=None):
        self.md = md
        self.markdown = md

    def run(self, lines):
        return lines
