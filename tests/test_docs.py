"""The documentation: coverage of the API reference, runnable examples, the gallery converter,
the generated pages, the paper map, and (when Sphinx is installed) a full build with every internal
link resolved, no external script or stylesheet, and (when Chromium is installed) the pages as a
browser renders them offline.

The build runs once per session of this module (:func:`site`): ``sphinx-build -W -n`` (warnings are
errors, nitpicky references) without executing the gallery — the tutorials run in
tests/test_tutorials.py.  No network is used: the browser runs with every host name unresolvable.
"""
import argparse
import html
import html.parser
import importlib
import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
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



# ---------------------------------------------------------------------------
# the gallery pages: one numbering, tests-only cells hidden, no machine paths
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("stem, heading, title", [
    ("01_linear_min_norm", "1. The linear case (Sec. 3)", "1. The linear case (Sec. 3)"),
    ("02_two_layer", "The two-layer generator $G(C)$", "2. The two-layer generator G(C)"),
    ("07_phase", "07 — Phase transitions: how many?", "7. Phase transitions: how many?"),
    ("10_more", "3: A heading numbered otherwise", "10. A heading numbered otherwise"),
    ("12_more", "2-D images", "12. 2-D images"),
])
def test_gallery_titles_are_numbered_by_file_name(stem, heading, title):
    assert gallery.page_title(stem, heading) == title


def test_every_tutorial_page_has_a_numbered_title_and_its_tests_only_cell_hidden(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "GALLERY", tmp_path / "gallery")
    for path in sorted(gallery.TUTORIALS.glob("*.py")):
        out = gallery.convert(path, tmp_path, tmp_path).read_text(encoding="utf-8")
        title = out.splitlines()[1]
        assert re.fullmatch(rf"{int(path.stem[:2])}\. [A-Z][^0-9—]{{3}}.*", title), (path.name, title)
        hidden = re.findall(r"# sphinx_gallery_start_ignore\n(.*?)# sphinx_gallery_end_ignore", out, re.S)
        # exactly the cell that writes the numbers for tests/test_tutorials.py, and it is still code
        assert len(hidden) == 1, path.name
        assert gallery.TEST_ONLY in hidden[0].splitlines()[0] and ".json" in hidden[0], path.name
        assert out.count("# sphinx_gallery_start_ignore") == out.count("# sphinx_gallery_end_ignore") == 1


def test_a_code_cell_is_hidden_only_when_it_is_for_the_tests():
    shown = "# the figure\nfig.savefig('a.png')"
    assert gallery._hidden_if_test_only(shown) == shown
    mention = "x = 1  # tests/test_tutorials.py reads x later"       # not a leading comment
    assert gallery._hidden_if_test_only(mention) == mention
    hidden = gallery._hidden_if_test_only("# numbers for tests/test_tutorials.py\njson.dump(d, fh)\n")
    assert hidden == ("# sphinx_gallery_start_ignore\n# numbers for tests/test_tutorials.py\njson.dump(d, fh)\n"
                      "# sphinx_gallery_end_ignore")


def test_tutorial_outputs_show_figure_paths_relative(monkeypatch):
    monkeypatch.setenv("CSTHEORY_FIGURES", "/tmp/build-42/figures")
    source = ["saved /tmp/build-42/figures/fig1.png\n    (all in /tmp/build-42/figures)"]
    gallery.clean_outputs(None, "tutorials/01_linear_min_norm", source)
    assert source == ["saved figures/fig1.png\n    (all in figures)"]
    other = ["see /tmp/build-42/figures/x.png"]
    gallery.clean_outputs(None, "api/fit", other)             # only the gallery's pages are rewritten
    assert other == ["see /tmp/build-42/figures/x.png"]


# ---------------------------------------------------------------------------
# generated pages and summaries (Sphinx extensions: need Sphinx, not a build)
# ---------------------------------------------------------------------------
def _generated():
    pytest.importorskip("sphinx", reason="the generated pages are Sphinx directives: pip install -e '.[docs]'")
    import cstheory_generated

    return cstheory_generated


def test_the_exercise_table_has_every_exercise_with_its_function_and_citation():
    from cstheory import exercises

    gen = _generated()
    rows = gen.exercise_rows()
    assert [r["name"] for r in rows] == exercises.list_exercises()
    for row in rows:
        assert row["signature"].startswith(exercises.get(row["name"]).function + "("), row
        # every exercise cites the paper: an equation or theorem (linked), or a section/appendix (as text)
        assert row["equations"] or row["objects"] or re.match(r"(App|Sec)\. ", row["reference"]), row
    text = "\n".join(gen.render_exercises())
    assert f"{len(rows)} exercises" in text and all(f"``{r['name']}``" in text for r in rows)


def test_subcommands_are_read_from_help_and_plain_choices_are_not():
    gen = _generated()
    parser = argparse.ArgumentParser(prog="tool")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("first", help="the first one")
    sub.add_parser("second-one", help="the second one, with a long help that argparse wraps over "
                                      "more than one line of the terminal")
    other = argparse.ArgumentParser(prog="tool sweep")
    other.add_argument("name", choices=["phase-transition", "fig5-study"], help="which sweep")
    assert gen.subcommands(parser.format_help()) == ["first", "second-one"]
    assert gen.subcommands(other.format_help()) == []


def test_the_cli_reference_has_every_command_and_subcommand():
    from cstheory.cli import build_parser

    gen = _generated()
    pages = dict(gen.cli_pages())
    commands = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)][0].choices
    expected = {"cstheory --help"} | {f"cstheory {name} --help" for name in commands}
    expected |= {f"cstheory exercise {a} --help" for a in ("list", "show", "notebook", "check", "grade")}
    assert set(pages) == expected
    for command, text in pages.items():
        assert text.startswith("usage: " + command.removesuffix(" --help")), command


def test_api_summaries_end_at_a_sentence_end_not_at_an_abbreviation():
    pytest.importorskip("sphinx", reason="autosummary is part of Sphinx: pip install -e '.[docs]'")
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from sphinx.ext import autosummary

    import cstheory_docstrings

    cstheory_docstrings.extend_summary_abbreviations()
    settings = get_default_settings(Parser)
    cases = {
        "The Fourier weights σ of eq. (11).  Sorted as trig_basis.": "The Fourier weights σ of eq. (11).",
        "Gaussian measurements (Sec. 3). Entries N(0, 1/m).": "Gaussian measurements (Sec. 3).",
        "The gap of App. C, eqs. (35)–(37), per step. Then more.": "The gap of App. C, eqs. (35)–(37), per step.",
        "The bound of Fig. 5 holds. Next sentence.": "The bound of Fig. 5 holds.",
        "One sentence. Another.": "One sentence.",
    }
    for doc, summary in cases.items():
        assert autosummary.extract_summary([doc], settings) == summary


# ---------------------------------------------------------------------------
# the build (once for this module), and what it wrote
# ---------------------------------------------------------------------------
class _Text(html.parser.HTMLParser):
    """The text of a page outside script, style and code (where MathJax never typesets)."""

    SKIP = {"script", "style", "pre", "code", "textarea"}

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.depth += tag in self.SKIP

    def handle_endtag(self, tag):
        self.depth -= tag in self.SKIP and self.depth > 0

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def page_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return "".join(parser.parts)


def all_text(markup: str) -> str:
    """Everything a reader sees, code included (scripts and styles left out)."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", "", markup, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


class _Resources(html.parser.HTMLParser):
    """What a page loads: script src, stylesheet/preload/icon/manifest href, img/iframe/source/embed src."""

    LOADING_RELS = {"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch", "preconnect"}

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and self.LOADING_RELS & set((attrs.get("rel") or "").lower().split()):
            self.urls.append(attrs.get("href") or "")
        elif tag in ("script", "img", "iframe", "source", "embed", "audio", "video") and attrs.get("src"):
            self.urls.append(attrs["src"])


def external_resources(markup: str) -> list[str]:
    """The URLs a page loads from another host (``http:``, ``https:``, ``//host``)."""
    parser = _Resources()
    parser.feed(markup)
    return [u for u in parser.urls if re.match(r"(?i)\s*(https?:|//)", u)]


def html_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] != "_static")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The HTML site, built once for this module without running the gallery."""
    pytest.importorskip("sphinx", reason="Sphinx is not installed: pip install -e '.[docs]' builds the docs")
    for name in ("numpydoc", "pydata_sphinx_theme", "sphinx_gallery", "sphinx_copybutton", "myst_parser"):
        pytest.importorskip(name, reason=f"{name} is not installed: pip install -e '.[docs]'")
    if importlib.util.find_spec("mathjax") is None:
        pytest.skip("django-static-mathjax (MathJax for the offline docs) is not installed: pip install -e '.[docs]'")
    tmp = tmp_path_factory.mktemp("docs")
    out = tmp / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp / "doctrees"), "-D", "sphinx_gallery_conf.plot_gallery=0", str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    return out


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors_and_every_internal_link_resolves(site):
    out = site
    for page in ("index", "get_started", "paper_map", "api/index", "api/cli", "tutorials/index", "architecture",
                 "teaching/exercises", "contributing/benchmarks", "contributing/input_contract", "changelog"):
        assert (out / f"{page}.html").exists(), page
    assert sorted(p.stem for p in (out / "tutorials").glob("0*.html")) == \
        sorted(p.stem for p in gallery.TUTORIALS.glob("*.py"))
    assert not broken_links(out), "\n".join(broken_links(out)[:50])
    paper_map = (out / "paper_map.html").read_text(encoding="utf-8")
    assert all(f'id="paper-eq-{n}"' in paper_map for n in range(1, gallery.LAST_EQUATION + 1))


@pytest.mark.slow
def test_built_pages_load_no_external_script_stylesheet_or_font(site):
    offenders = {str(p.relative_to(site)): external_resources(p.read_text(encoding="utf-8")) for p in html_pages(site)}
    assert not {p: u for p, u in offenders.items() if u}, offenders
    # the theme's and the extensions' stylesheets import nothing from another host either
    for css in site.joinpath("_static").rglob("*.css"):
        remote = re.findall(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""",
                            css.read_text(encoding="utf-8", errors="replace"))
        assert not remote, (css, remote)
    # formulas are typeset by the copy of MathJax in _static, referenced by every page with maths
    assert (site / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    tutorial = (site / "tutorials" / "01_linear_min_norm.html").read_text(encoding="utf-8")
    assert 'src="../_static/mathjax/tex-mml-chtml.js' in tutorial


@pytest.mark.slow
def test_built_api_summaries_end_at_a_sentence_end(site):
    summaries = []
    for page in sorted((site / "api").glob("*.html")):
        for table in re.findall(r'<table class="[^"]*autosummary.*?</table>', page.read_text(encoding="utf-8"), re.S):
            for row in re.findall(r"<tr.*?</tr>", table, re.S):
                cells = re.findall(r"<td.*?</td>", row, re.S)
                if len(cells) == 2:
                    summaries.append(html.unescape(re.sub(r"<[^>]+>", "", cells[1])).strip())
    assert len(summaries) >= 40
    cut = [s for s in summaries if re.search(r"\b(eqs?|Sec|App|Fig|Thm)\.$", s)]
    assert not cut, cut


@pytest.mark.slow
def test_built_generated_pages_follow_the_package(site):
    from cstheory import exercises
    from cstheory.experiments import EXPERIMENTS

    teaching = all_text((site / "teaching" / "exercises.html").read_text(encoding="utf-8"))
    assert all(f"{name}(" in teaching for name in exercises.list_exercises())
    assert "being added" not in teaching
    cli = all_text((site / "api" / "cli.html").read_text(encoding="utf-8"))
    for command in ("cstheory reproduce", "cstheory exercise grade", "cstheory sweep"):
        assert "usage: " + command in cli, command
    experiments = all_text((site / "api" / "experiments.html").read_text(encoding="utf-8"))
    assert all(e.title in experiments for e in EXPERIMENTS.values())
    started = (site / "get_started.html").read_text(encoding="utf-8")
    assert 'href="https://arxiv.org/abs/2005.03991"' in started and "@inproceedings" in all_text(started)
    assert started.count("<table") >= 2 and started.count("<img") >= 2
    for extra in ("gpu", "docs", "dask", "test"):
        assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{extra}</span></code>" in started
    assert "Unreleased" in all_text((site / "changelog.html").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_built_tutorial_pages_are_clean_and_linked_from_the_api(site):
    for page in sorted((site / "tutorials").glob("0*.html")):
        markup = page.read_text(encoding="utf-8")
        text = all_text(markup)
        title = re.search(r"<h1>(.*?)<a", markup, re.S).group(1)
        assert re.fullmatch(rf"{int(page.stem[:2])}\. \D.*", html.unescape(re.sub(r"<[^>]+>", "", title)).strip())
        assert "numbers behind these claims" not in text and "json.dump" not in text, page.name
        assert str(ROOT) not in text and "/tmp/" not in text, page.name
        assert "&lt;Figure size" not in markup, page.name
    fit = (site / "api" / "fit.html").read_text(encoding="utf-8")
    assert "Examples using" in fit and re.search(r'href="\.\./tutorials/0\d_\w+\.html', fit)


# ---------------------------------------------------------------------------
# the pages in a browser, offline (Chromium headless; skipped without it)
# ---------------------------------------------------------------------------
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
#: pages opened in the browser: every tutorial, and the pages with formulas or summaries
BROWSER_PAGES = [f"tutorials/{p.stem}" for p in sorted(gallery.TUTORIALS.glob("*.py"))] + \
    ["index", "get_started", "paper_map", "api/index", "api/fit", "api/spectrum"]


def page_requests(netlog: Path) -> list[str]:
    """The URLs that a page (not the browser itself) asked the network for, from Chromium's net log."""
    text = netlog.read_text(encoding="utf-8", errors="replace").rstrip()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:                 # a log cut at exit: close its event list
        log = json.loads(text.rstrip(",") + "]}")
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if event.get("type") == start and params.get("initiator", "not an origin") != "not an origin":
            if not re.match(r"(file|data|blob|chrome|about):", params.get("url", "")):
                urls.append(params["url"])
    return urls


def render(page: Path, tmp: Path) -> tuple[str, list[str]]:
    """The DOM of ``page`` after its scripts ran (20 s of virtual time), and its network requests,
    with every host name unresolvable."""
    profile = Path(tempfile.mkdtemp(dir=tmp))
    netlog = profile / "netlog.json"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={netlog}",
           "--virtual-time-budget=20000", "--dump-dom", page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "</html>" in proc.stdout, f"{page}: {proc.stderr[-2000:]}"
    return proc.stdout, page_requests(netlog)


@pytest.fixture(scope="module")
def rendered(site, tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("no Chromium to render the pages (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("browser")
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = pool.map(lambda name: render(site / f"{name}.html", tmp), BROWSER_PAGES)
        return dict(zip(BROWSER_PAGES, results))


@pytest.mark.slow
def test_browser_renders_every_formula_offline(site, rendered):
    with_formulas = []
    for name, (dom, _) in rendered.items():
        source = page_text((site / f"{name}.html").read_text(encoding="utf-8"))
        left = re.findall(r".{0,40}\\[(\[].{0,40}", page_text(dom))
        assert not left, (name, left[:5])                     # no raw \( … \) or \[ … \] in the text
        if "\\(" in source or "\\[" in source:                # it had formulas: MathJax typeset them
            assert "<mjx-container" in dom, name
            with_formulas.append(name)
    assert len([n for n in with_formulas if n.startswith("tutorials/")]) >= 6, with_formulas


@pytest.mark.slow
def test_browser_pages_request_no_network(rendered):
    for name, (dom, requests) in rendered.items():
        assert requests == [], (name, requests)               # nothing asked of another host
        assert external_resources(dom) == [], name            # nor added to the page by a script


@pytest.mark.slow
def test_browser_api_summaries_do_not_end_in_an_abbreviation(rendered):
    dom = rendered["api/index"][0]
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r'<td><p>(.*?)</p></td>\s*</tr>', dom, re.S)]
    assert len(cells) >= 40
    assert not [c for c in cells if re.search(r"\b(eqs?|Sec|App|Fig)\.$", c)]
