"""Sphinx extension: `:numref:` resolved without reading the target page once per reference.

Sphinx's standard domain resolves each `:numref:` by loading the whole doctree of the page the
target is on (`env.get_doctree`, an unpickling), only to look up the target's node and number
(sphinx-doc/sphinx#12611, #12883). A book that refers to its tables and figures by number pays
that once per reference: 2 s of the study's HTML build and as much of its LaTeX build. Here the
standard domain (whichever class is registered, so that another extension's subclass keeps its
behaviour) resolves `:numref:` with the doctrees it has already loaded in this build, which it only
reads; they are forgotten before the next build reads the sources again and when the build ends.
The references and numbers are Sphinx's own, unchanged. `reprobook serve` keeps a cache of its
own across builds (reprobook.livebook, with `doctrees_from`); the two nest.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from typing import Any

# per build environment: {docname: its doctree as loaded for resolving :numref: (read only)}
_LOADED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def doctrees_from(env, cache: dict):
    """Within the block, `env.get_doctree(name)` answers from `cache`, loading a page into it the
    first time (for callers that only read the doctree). Whatever `env.get_doctree` was before is
    restored after, so that such blocks nest (reprobook.livebook keeps its own cache across builds)."""
    mine = vars(env)
    had, before = "get_doctree" in mine, mine.get("get_doctree")
    read = env.get_doctree
    env.get_doctree = lambda name: cache[name] if name in cache else cache.setdefault(name, read(name))
    try:
        yield
    finally:
        if had:
            env.get_doctree = before
        else:
            mine.pop("get_doctree", None)  # the class's method again


class _LoadsEachPageOnce:
    """Mixin for the standard domain (see the module's docstring)."""

    def _resolve_numref_xref(self, env, fromdocname, builder, typ, target, node, contnode) -> Any:
        with doctrees_from(env, _LOADED.setdefault(env, {})):
            return super()._resolve_numref_xref(env, fromdocname, builder, typ, target, node, contnode)


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
