"""Python-Markdown (https://python-markdown.github.io), as djcache reads it: what a conversion runs.

`Markdown(extensions=[...]).convert(text)` runs the processors the extensions registered in their
`extendMarkdown`, and the text it returns is made of what they produce. Projects often build the
extension list at run time, so each processor made here stands for every processor the library
holds: calling its method calls the override of each project subclass (a project's
`Preprocessor.run` that looks up attachments is part of every conversion's output).
"""

from markdown import blockprocessors, inlinepatterns, postprocessors, preprocessors, treeprocessors
from markdown.extensions import Extension


class Markdown:
    def __init__(self, *args, **kwargs):
        self.parser = blockprocessors.BlockParser(self)

    def convert(self, source):
        lines = preprocessors.Preprocessor(self).run(source.split("\n"))
        root = self.parser.parseDocument(lines)
        treeprocessors.Treeprocessor(self).run(root)
        inline = inlinepatterns.Pattern(None, self).handleMatch(root)
        processed = inlinepatterns.InlineProcessor(None, self).handleMatch(root, inline)
        return postprocessors.Postprocessor(self).run("\n".join([lines, root, inline, processed]))

    def reset(self):
        return self


def markdown(text, **kwargs):
    return Markdown(**kwargs).convert(text)
