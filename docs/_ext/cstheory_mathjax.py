"""MathJax served from the built site, so formulas render offline (``file://``, no network).

Sphinx's ``sphinx.ext.mathjax`` loads MathJax from a CDN by default; a reader who opens
``docs/_build/html/index.html`` without a network would see raw ``\\( … \\)``.  This extension
copies MathJax 3 from a Python package of the ``docs`` extra, ``django-static-mathjax`` (import
name ``mathjax``: the files of the MathJax release, ``static/mathjax/es5/``, nothing else is
used — Django is not needed), into ``_static/mathjax/`` of the HTML output, and points
``mathjax_path`` at the local copy.

Only the parts of the ``es5`` release that a page can load are copied: one combined component
(:data:`COMPONENT`, TeX and MathML input, CommonHTML output) and the directories it loads from
on demand (TeX extensions, the CommonHTML fonts, the menu, accessibility and its speech rules).
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

#: the combined MathJax component every page loads (what Sphinx loads from the CDN by default)
COMPONENT = "tex-mml-chtml.js"
#: directories of the es5 release that the component loads from on demand
LAZY = ("input", "output", "ui", "a11y", "adaptors", "sre")
#: where the copy goes, relative to the HTML output's ``_static``
TARGET = "mathjax"
#: the package of the docs extra that ships MathJax, and its import name
PACKAGE, MODULE = "django-static-mathjax", "mathjax"


def mathjax_source() -> Path:
    """The ``es5`` directory of the installed MathJax release.

    Raises
    ------
    RuntimeError
        If the package is not installed (the message says how to install it).
    """
    spec = importlib.util.find_spec(MODULE)
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        es5 = Path(root) / "static" / "mathjax" / "es5"
        if (es5 / COMPONENT).is_file():
            return es5
    raise RuntimeError(f"MathJax for the offline docs is missing: pip install {PACKAGE} "
                       "(it is in the docs extra: pip install -e '.[docs]')")


def copy_mathjax(source: Path, static: Path) -> Path:
    """Copy the component, the directories it loads from and the licence to ``static/mathjax``."""
    target = static / TARGET
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / COMPONENT, target / COMPONENT)
    for name in LAZY:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
    licence = source.parent / "LICENSE"
    if licence.is_file():
        shutil.copyfile(licence, target / "LICENSE")
    return target


def _configure(app, config) -> None:
    mathjax_source()                              # fail at the start of the build, not the end
    config.mathjax_path = f"{TARGET}/{COMPONENT}"   # relative: Sphinx serves it from _static/


def _copy(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        copy_mathjax(mathjax_source(), Path(app.outdir) / "_static")


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _configure)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
