"""The documentation: coverage of the API reference, runnable examples, the gallery converter,
the paper map, and (when Sphinx is installed) a full build with every internal link resolved.

The build runs ``sphinx-build -W -n`` (warnings are errors, nitpicky references) without
executing the gallery — the tutorials run in tests/test_tutorials.py — and then checks every
internal link and anchor of the HTML it wrote.  No network is used.
"""
import html.parser
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import cstheory

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import cstheory_gallery as gallery  # noqa: E402  (no Sphinx needed)

#: submodules whose public names are part of the documented API
API_MODULES = ["optim", "mri", "kernels", "baselines", "operators", "spectrum", "signals", "generator",
               "two_layer", "deep_decoder", "fit", "sweep", "report", "plotting"]
#: submodules whose public functions and classes must carry a runnable example
EXAMPLE_MODULES = ["optim", "mri", "kernels", "baselines"]


# ---------------------------------------------------------------------------
# the API reference lists every public name
# ---------------------------------------------------------------------------
def documented_names():
    """Full names documented by docs/api/*.rst (auto* directives under their currentmodule,
    and automodule directives that document all members)."""
    names = set()
    for page in sorted((DOCS / "api").glob("*.rst")):
        module = None
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"\.\. (?:py:)?currentmodule:: ([\w.]+)", line)
            if m:
                module = m.group(1)
            m = re.match(r"\.\. auto(?:function|class|exception|data)::\s+(\w+)", line)
            if m:
                names.add(f"{module}.{m.group(1)}")
            m = re.match(r"\.\. automodule:: ([\w.]+)", line)
            if m:
                options = []
                for nxt in lines[i + 1:]:
                    if not nxt.startswith("   "):
                        break
                    options.append(nxt.strip())
                if not any(o.startswith((":no-members:", ":members: ")) for o in options):
                    mod = importlib.import_module(m.group(1))
                    names |= {f"{m.group(1)}.{n}" for n in getattr(mod, "__all__", [])}
    return names


def public_api():
    """Every public name: ``cstheory.X`` for cstheory.__all__, ``cstheory.module.X`` for the rest."""
    top = {n for n in cstheory.__all__ if not inspect.ismodule(getattr(cstheory, n))}
    out = {f"cstheory.{n}" for n in top}
    for name in API_MODULES:
        mod = importlib.import_module(f"cstheory.{name}")
        out |= {f"cstheory.{name}.{n}" for n in mod.__all__ if n not in cstheory.__all__}
    from cstheory import experiments
    out |= {f"cstheory.experiments.{n}" for n in experiments.__all__}
    return out


def _object(name):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_the_api_reference_lists_every_public_name():
    documented = documented_names()
    ids = {id(_object(n)) for n in documented}
    # a name re-exported by another module (cstheory.fit.default_step_size) is documented once
    missing = sorted(n for n in public_api() - documented if id(_object(n)) not in ids)
    assert not missing, f"not in docs/api/*.rst: {missing}"


def test_every_experiment_module_has_a_section_in_the_api_reference():
    from cstheory.experiments import EXPERIMENTS

    text = (DOCS / "api" / "experiments.rst").read_text(encoding="utf-8")
    assert all(f".. automodule:: {e.module}\n" in text for e in EXPERIMENTS.values())


# ---------------------------------------------------------------------------
# runnable examples on every public function and class
# ---------------------------------------------------------------------------
def example_targets():
    out = []
    for n in cstheory.__all__:
        obj = getattr(cstheory, n)
        if not inspect.ismodule(obj):
            out.append((f"cstheory.{n}", obj))
    for name in EXAMPLE_MODULES:
        mod = importlib.import_module(f"cstheory.{name}")
        for n in mod.__all__:
            obj = getattr(mod, n)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and n not in cstheory.__all__:
                out.append((f"cstheory.{name}.{n}", obj))
    return out


TARGETS = example_targets()


@pytest.mark.parametrize("name, obj", TARGETS, ids=[n for n, _ in TARGETS])
def test_every_public_function_and_class_has_a_runnable_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert re.search(r"^Examples\n--------\n", doc, flags=re.M), f"{name} has no Examples section"
    assert ">>> " in doc.split("Examples\n--------\n", 1)[1], f"{name}: its Examples hold no doctest"


# ---------------------------------------------------------------------------
# the gallery converter (no Sphinx needed)
# ---------------------------------------------------------------------------
TUTORIAL = '''# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---

# %% [markdown]
# # 9. A title with $\\sigma$
#
# Intro citing eq. (11) and eqs. (35)–(37), Theorem 4 and Fig. 3; maths $\\|x\\|$ and `code (5)`.

# %%
import math
x = math.sqrt(2)

# %% [markdown]
# ## A section
# Text after the heading, eq. 9.

# %%
# a comment that stays code
print(x)
'''


def test_gallery_source_of_a_tutorial(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "GALLERY", tmp_path / "gallery")
    src = tmp_path / "09_demo.py"
    src.write_text(TUTORIAL, encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "md").mkdir()
    out = gallery.convert(src, tmp_path / "out", tmp_path / "md").read_text(encoding="utf-8")
    # the first heading is the page title; the cited objects are linked from the line below it
    assert out.startswith('r"""\n9. A title with \\sigma\n====')
    assert ":ref:`eq. (11) <paper-eq-11>`" in out and ":ref:`Theorem 4 <paper-theorem-4>`" in out
    # a later heading is a reST section; code cells are kept verbatim, comments included
    assert "# A section\n# ---" in out
    assert "# %%\n\n# a comment that stays code\nprint(x)" in out
    chunks = sorted((tmp_path / "md").glob("*.md"))
    intro = chunks[0].read_text(encoding="utf-8")
    # citations become MyST links; maths and code are left alone
    assert "{ref}`(11) <paper-eq-11>`" in intro and "{ref}`(37) <paper-eq-37>`" in intro
    assert "{ref}`Fig. 3 <paper-fig-3>`" in intro
    assert "$\\|x\\|$" in intro and "`code (5)`" in intro and "paper-eq-5" not in intro
    assert "{ref}`9 <paper-eq-9>`" in chunks[1].read_text(encoding="utf-8")


@pytest.mark.parametrize("text, expected", [
    ("eq. (11)", [11]),
    ("eqs. (35)–(37)", [35, 36, 37]),
    ("eq. (39)/(40) and eq. 5", [39, 40, 5]),
    ("(eq. 15/25)", [15, 25]),
    ("eq. (7), (8), C = 1", [7, 8]),
    ("equation (2), not (99)", [2]),
    ("Sec. 3 and Fig. 3", []),
    ("(eq. (4), 1-D or 2-D", [4]),
])
def test_equation_citations(text, expected):
    assert gallery.equation_numbers(text) == expected


def test_every_tutorial_converts_with_a_title_and_its_code(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "GALLERY", tmp_path / "gallery")
    for path in sorted(gallery.TUTORIALS.glob("*.py")):
        out = gallery.convert(path, tmp_path, tmp_path).read_text(encoding="utf-8")
        compile(out, str(path), "exec")                       # a valid Python file
        code = [t for k, t in gallery.cells(path.read_text(encoding="utf-8")) if k == "code"]
        assert all(c.rstrip() in out for c in code), path.name  # every code cell, verbatim


# ---------------------------------------------------------------------------
# the paper map (its extension imports Sphinx)
# ---------------------------------------------------------------------------
def test_paper_map_finds_code_checks_and_tests():
    pytest.importorskip("sphinx", reason="the paper map is a Sphinx extension: pip install -e '.[docs]'")
    import cstheory_papermap as pm

    code = pm.scan_package()
    assert ("function", "cstheory.sigma_weights", "sigma_weights") in code[("eq", 11)]
    assert any(name == "TwoLayerGenerator.jacobian" for _, _, name in code[("eq", 20)])
    checks = pm.experiment_checks("cstheory.experiments.fig3")
    assert checks[0]["name"].startswith("eq. (11) closed form") and checks[0]["tolerance"] == "1e-10"
    data = pm.Data()
    fig3 = dict(data.experiments_for(("eq", 11)))
    assert [c["name"] for c in next(v for e, v in fig3.items() if e.name == "fig3")] == [checks[0]["name"]]
    assert any("test_spectrum.py::" in t for t in data.tests[("eq", 11)])
    assert "03_spectrum" in data.tutorials[("eq", 11)]


def test_paper_map_catalogue_covers_the_paper():
    from paper_catalogue import EQUATIONS, OBJECTS

    assert sorted(EQUATIONS) == list(range(1, gallery.LAST_EQUATION + 1))
    for kind, numbers in gallery.KNOWN.items():
        assert {n for k, n in OBJECTS if k == kind} == set(numbers), kind


# ---------------------------------------------------------------------------
# the build, and every internal link of what it wrote
# ---------------------------------------------------------------------------
class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) and (tag, key) in (("a", "href"), ("img", "src"), ("link", "href"), ("script", "src")):
                self.links.append(attrs[key])


def broken_links(out: Path):
    """Internal links of the HTML under ``out`` whose file or anchor does not exist."""
    pages = {}
    for page in out.rglob("*.html"):
        if page.relative_to(out).parts[0] == "_static":      # the theme's templates, not pages
            continue
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    broken = []
    for page, parser in pages.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(out.resolve())}: {link}")
            elif parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                broken.append(f"{page.relative_to(out.resolve())}: {link} (no such anchor)")
    return broken


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors_and_every_internal_link_resolves(tmp_path):
    pytest.importorskip("sphinx", reason="Sphinx is not installed: pip install -e '.[docs]' builds the docs")
    for name in ("numpydoc", "pydata_sphinx_theme", "sphinx_gallery", "sphinx_copybutton", "myst_parser"):
        pytest.importorskip(name, reason=f"{name} is not installed: pip install -e '.[docs]'")
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), "-D", "sphinx_gallery_conf.plot_gallery=0", str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    for page in ("index", "paper_map", "api/index", "tutorials/index", "architecture", "teaching/exercises",
                 "contributing/benchmarks", "contributing/input_contract"):
        assert (out / f"{page}.html").exists(), page
    assert sorted(p.stem for p in (out / "tutorials").glob("0*.html")) == \
        sorted(p.stem for p in gallery.TUTORIALS.glob("*.py"))
    assert not broken_links(out), "\n".join(broken_links(out)[:50])
    paper_map = (out / "paper_map.html").read_text(encoding="utf-8")
    assert all(f'id="paper-eq-{n}"' in paper_map for n in range(1, gallery.LAST_EQUATION + 1))
