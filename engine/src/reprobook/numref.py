"""Sphinx extension: `:numref:` resolved without reading the target page once per reference.

Sphinx's standard domain resolves each `:numref:` by loading the whole doctree of the page the
target is on (`env.get_doctree`, an unpickling), only to look up the target's node and number
(sphinx-doc/sphinx#12611, #12883). A book that refers to its tables and figures by number pays
that once per reference: 2 s of the study's HTML build and as much of its LaTeX build. Here the
standard domain (whichever class is registered, so that another extension's subclass keeps its
behaviour) resolves `:numref:` with the doctrees it has already loaded in this build, which it only
reads; they are forgotten before the next build reads the sources again and when the build ends.
The references and numbers are Sphinx's own, unchanged.
"""
from __future__ import annotations

import weakref
from typing import Any

# per build environment: {docname: its doctree as loaded for resolving :numref: (read only)}
_LOADED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _LoadsEachPageOnce:
    """Mixin for the standard domain (see the module's docstring)."""

    def _resolve_numref_xref(self, env, fromdocname, builder, typ, target, node, contnode) -> Any:
        loaded = _LOADED.setdefault(env, {})
        read = env.get_doctree

        def get_doctree(docname: str):
            if docname not in loaded:
                loaded[docname] = read(docname)
            return loaded[docname]

        env.get_doctree = get_doctree  # for this call only: the method again afterwards
        try:
            return super()._resolve_numref_xref(env, fromdocname, builder, typ, target, node, contnode)
        finally:
            del env.get_doctree


def _forget(app, *args) -> None:
    _LOADED.pop(app.env, None)


def setup(app):
    """Register the standard domain with :numref: resolved as described in the module's docstring."""
    from sphinx.domains.std import StandardDomain

    base = app.registry.domains.get("std", StandardDomain)
    if not issubclass(base, _LoadsEachPageOnce):
        app.add_domain(type("StandardDomain", (_LoadsEachPageOnce, base), {}), override=True)
    app.connect("env-before-read-docs", _forget)
    app.connect("build-finished", _forget)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
