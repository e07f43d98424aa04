"""Docstrings as plain text that reST reads correctly, and references by any import path.

cstheory's docstrings are written to be read in a terminal (``help(cst.fit)``): they use
``|x|`` for absolute values and ``‖x‖`` for norms.  reST reads ``|x|`` as a substitution
reference, so :func:`escape_bars` escapes those bars (outside literals, roles, literal blocks
and doctests) when autodoc reads a docstring.  It also separates an inline literal from a
character glued to it (``size``² → ``size``\\ ²), which reST would otherwise refuse.

:func:`resolve_alias` lets a reference use any import path of an object: cstheory documents its
top-level names once, as ``cstheory.NAME``, and a docstring citing
``cstheory.operators.as_operator`` or ``cstheory.optim.StepDecay.settle`` is pointed to the
documented ``cstheory.as_operator`` / ``cstheory.StepDecay.settle``.

:data:`ABBREVIATIONS` keeps autosummary's one-line summaries whole: autosummary ends a summary at
the first period followed by a space, unless what precedes is a well-known abbreviation, so
"The weights σ of eq. (11)." was cut to "The weights σ of eq.".  The paper's abbreviations are
added to that list when the extension is set up.
"""
from __future__ import annotations

import importlib
import re

from docutils import nodes

_ROLE_OR_LITERAL = re.compile(r"(``.+?``|:[\w:.-]+:`[^`]*`|`[^`]*`_?)")
_GLUED = re.compile(r"[^\s.,;:!?'\")\]}/…—–\-\\]")


def _escape_line(line: str) -> str:
    parts = _ROLE_OR_LITERAL.split(line)
    for i in range(0, len(parts), 2):           # even parts are outside literals and roles
        parts[i] = re.sub(r"(?<!\\)\|", r"\\|", parts[i])
        if i > 0 and parts[i - 1].startswith("``") and _GLUED.match(parts[i]):
            parts[i] = "\\ " + parts[i]           # ``size``² → ``size``\ ²
    return "".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def escape_bars(lines: list[str]) -> list[str]:
    """Escape ``|`` and glued inline literals in reST text, leaving literal blocks, doctests and
    grid tables alone."""
    out = []
    literal_indent = None        # indentation of the paragraph that opened a literal block
    in_doctest = False
    for line in lines:
        stripped = line.strip()
        if literal_indent is not None:
            if stripped and _indent(line) <= literal_indent:
                literal_indent = None
            else:
                out.append(line)
                continue
        if in_doctest:
            if not stripped:
                in_doctest = False
            out.append(line)
            continue
        if stripped.startswith(">>>"):
            in_doctest = True
            out.append(line)
            continue
        if stripped.startswith(("+-", "+=")) or stripped.startswith(".. math::"):
            out.append(line)
            if stripped.startswith(".. math::"):
                literal_indent = _indent(line)
            continue
        out.append(_escape_line(line))
        if stripped.endswith("::") and not stripped.startswith(".. "):
            literal_indent = _indent(line)
        elif stripped.startswith(".. code-block::") or stripped == "::":
            literal_indent = _indent(line)
    return out


def process_docstring(app, what, name, obj, options, lines):
    lines[:] = escape_bars(lines)


# ---------------------------------------------------------------------------
# references by any import path
# ---------------------------------------------------------------------------
def _import(path: str):
    """The object at a dotted path (module attributes, class attributes), or None."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _unwrap(obj):
    obj = getattr(obj, "fget", obj)               # properties
    return getattr(obj, "__func__", obj)          # class/static methods


def resolve_alias(app, env, node, contnode):
    """``missing-reference``: point ``cstheory.a.b.C.m`` to where the same object is documented."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("cstheory."):
        return None
    obj = _import(target)
    if obj is None:
        return None
    domain = env.get_domain("py")
    index = getattr(app, "_cstheory_alias_index", None)
    if index is None:
        index = {}
        for name, entry in list(domain.objects.items()):
            if not name.startswith("cstheory.") or entry.aliased:
                continue
            found = _import(name)
            if found is not None:
                index.setdefault(id(_unwrap(found)), name)
        app._cstheory_alias_index = index   # built once, after reading
    name = index.get(id(_unwrap(obj)))
    if name is None or name == target:
        return None
    entry = domain.objects[name]
    from sphinx.util.nodes import make_refnode
    return make_refnode(app.builder, node.get("refdoc"), entry.docname, entry.node_id, contnode, name)


# ---------------------------------------------------------------------------
# autosummary: a summary ends at a sentence end, not at "eq."
# ---------------------------------------------------------------------------
#: abbreviations the docstrings use before a number ("eq. (11)", "Sec. 3", "App. A", "Fig. 5"),
#: each after a space or an opening parenthesis
ABBREVIATIONS = tuple(f"{before}{word}." for word in ("eq", "eqs", "Eq", "Eqs", "Sec", "Secs", "App", "Fig",
                                                      "Figs", "Thm", "Lem", "Prop", "cf", "resp", "approx")
                      for before in (" ", "("))


def extend_summary_abbreviations() -> tuple[str, ...]:
    """Add :data:`ABBREVIATIONS` to the abbreviations autosummary does not end a summary at."""
    from sphinx.ext import autosummary

    known = autosummary.WELL_KNOWN_ABBREVIATIONS   # an AttributeError if Sphinx renames it: noticed
    autosummary.WELL_KNOWN_ABBREVIATIONS = tuple(known) + tuple(a for a in ABBREVIATIONS if a not in known)
    return autosummary.WELL_KNOWN_ABBREVIATIONS


def setup(app):
    extend_summary_abbreviations()
    app.connect("autodoc-process-docstring", process_docstring, priority=600)
    app.connect("missing-reference", resolve_alias)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
