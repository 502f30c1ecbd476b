"""Sphinx extension for documentation about reprobook: the `reprobook-reference` directive.

    ```{reprobook-reference} cli
    ```

puts one generated reference topic (`cli`, `settings`, `pipeline`, `sphinx`, or `api MODULE`;
see `reprobook.reference`) into a page, parsed as Markdown. In a MyST page its headings become
sections of the page, as with `{include}`: put the directive at the end of a section. A topic
that cannot be rendered completely (an undocumented option, a function without a docstring) is
an error, so a strict build stops until the guide and the code agree.
"""
from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from . import reference


class ReferenceDirective(SphinxDirective):
    required_arguments = 1
    optional_arguments = 1
    has_content = False

    def run(self):
        try:
            text = reference.render(*self.arguments)
        except reference.IncompleteReference as exc:
            raise self.error(f"reprobook-reference {' '.join(self.arguments)}: {exc}") from None
        renderer = getattr(self.state, "_renderer", None)
        if renderer is not None:  # MyST: render in place, so that headings become sections (as {include})
            renderer.nested_render_text(text, self.lineno)
            return []
        container = nodes.container()  # another parser: headings become rubrics
        self.state.nested_parse(StringList(text.splitlines()), self.content_offset, container)
        return container.children


def setup(app):
    app.add_directive("reprobook-reference", ReferenceDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
