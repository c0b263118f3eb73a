"""Python-Markdown's postprocessors: `run(text)` gives the converted text."""


class Postprocessor:
    def __init__(self, md=None):
        self.md = md
        self.markdown = md

    def run(self, text):
        return text
