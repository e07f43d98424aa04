"""Sphinx configuration of the cstheory documentation.

Build (offline, warnings as errors)::

    pip install -e '.[docs]'
    sphinx-build -W -b html docs docs/_build/html

The gallery runs every tutorial at the quick sizes (``CSTHEORY_QUICK=1``); add
``-D sphinx_gallery_conf.plot_gallery=0`` to build the pages without running them.
"""
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# the tutorials at the quick sizes, figures off-screen; BLAS and OpenMP at the libraries' own thread counts
# (every claim a tutorial asserts is a statistic over draws that holds for any thread count)
os.environ["CSTHEORY_QUICK"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")

sys.path.insert(0, str(ROOT))                 # the checkout's cstheory, installed or not
sys.path.insert(0, str(DOCS / "_ext"))

import cstheory  # noqa: E402
import cstheory_gallery  # noqa: E402

os.environ["CSTHEORY_FIGURES"] = str(cstheory_gallery.FIGURES)
cstheory_gallery.FIGURES.mkdir(parents=True, exist_ok=True)
cstheory_gallery.convert_tutorials()

# -- project -----------------------------------------------------------------
project = "cstheory"
author = "the cstheory developers"
copyright = "2025, the cstheory developers"
release = version = cstheory.__version__

# -- extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "cstheory_mathjax",                           # MathJax copied into _static: formulas render offline
    "numpydoc",
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
    "cstheory_gallery",
    "cstheory_papermap",
    "cstheory_docstrings",
    "cstheory_generated",
]

smartquotes_action = "qe"                     # quotes and ellipses; "--quick" stays two hyphens, not a dash
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints", "tutorials/*.md5",
                    "tutorials/*.py", "tutorials/*.ipynb",
                    "sg_execution_times.rst", "tutorials/sg_execution_times.rst"]  # left by older builds
templates_path = ["_templates"]

# every internal reference must resolve (the docs test builds with -W); targets outside the
# package (NumPy, matplotlib, the standard library) are not linked: no intersphinx, no network
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!cstheory\b).*"),              # anything that is not ours
    (r"py:.*", r"cstheory\..*\.(xp|dtype|device)"),  # array-API attribute names read as types
    (r"py:.*", r"cstheory\.(\w+\.)*_[a-z]\w*(\..*)?"),   # private helpers (cstheory._backend.x): no page
]

# -- autodoc / autosummary / numpydoc -----------------------------------------
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"                    # types are in the numpydoc sections
autodoc_inherit_docstrings = True
autosummary_generate = False                  # the API pages are written by hand (tests check coverage)
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()
add_module_names = False

# -- MyST (the architecture page, the tutorials' Markdown) -------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]           # included Markdown chunks start below the page's H1

# -- sphinx-gallery: the tutorials ---------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(cstheory_gallery.SOURCES),
    "gallery_dirs": "tutorials",
    "filename_pattern": r".*\.py$",           # run every tutorial (not only plot_*.py)
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("cstheory_gallery.saved_figures",),
    "reset_modules": (),
    "capture_repr": ("__repr__",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "write_computation_times": False,         # its page loads jQuery and DataTables from CDNs
    "ignore_repr_types": r"matplotlib\.(figure|axes|text|lines|image|legend|colorbar)",
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "min_reported_time": 0,
    "copyfile_regex": "",
    # "Examples using …" on the API pages (cstheory_gallery.add_backreferences appends the mini-gallery)
    "doc_module": ("cstheory",),
    "backreferences_dir": "api/backreferences",
}

# -- HTML ------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"cstheory {release}"
html_static_path = ["_static"]
html_css_files = ["cstheory.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "icon_links": [],
}
# pages without sub-pages: no empty section navigation, the content (the paper map's table) gets the width
html_sidebars = {"index": [], "get_started": [], "paper_map": [], "changelog": []}
html_show_sourcelink = False
html_copy_source = False
