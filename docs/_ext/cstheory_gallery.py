"""The tutorials as a sphinx-gallery, without editing them.

``tutorials/*.py`` are jupytext percent scripts: a jupytext header, then
``# %% [markdown]`` cells written in Markdown with ``$…$`` maths, and ``# %%``
code cells.  sphinx-gallery wants a module docstring with a reST title and
reads comment blocks as reST.  :func:`convert_tutorials` therefore writes, at
build time, one gallery source per tutorial into ``docs/_generated/``:

* the tutorial's first Markdown heading becomes the docstring title, followed
  by a line linking the equations, theorems and figures the tutorial cites to
  the paper map (``paper_map.rst``);
* every other Markdown heading becomes a reST section title;
* the Markdown between headings is written to its own ``.md`` file and
  included with the MyST parser (``.. include:: … :parser: myst_parser.sphinx_``),
  so tables, lists and ``$…$`` maths render as in Jupyter; citations such as
  "eq. (11)" or "Theorem 4" become links to the paper map;
* code cells are copied verbatim; a cell for the tests only (one whose first line is a comment
  naming ``tests/test_tutorials.py``: it writes the numbers the tests check) still runs but is
  hidden from the page (sphinx-gallery's ``sphinx_gallery_start_ignore`` / ``_end_ignore``);
* the page title is numbered one way for all tutorials, "N. Title", N from the file name
  (``01_linear_min_norm.py`` → "1. …"), whatever numbering the tutorial's heading has.

While the gallery runs, the tutorials print paths under ``$CSTHEORY_FIGURES`` (a directory of
the build machine); :func:`clean_outputs` writes them as ``figures/…`` on the pages.

The tutorials save their figures to ``$CSTHEORY_FIGURES`` (some draw with
:class:`matplotlib.figure.Figure`, without pyplot), so the gallery collects
figures with :class:`SavedFigures`, an image scraper that picks up the PNG files
a code block wrote there.  After sphinx-gallery has generated the pages,
:func:`restore_downloads` replaces the downloadable ``.py`` (and ``.ipynb``,
with jupytext) by the original tutorial.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
TUTORIALS = ROOT / "tutorials"
GENERATED = DOCS / "_generated"
SOURCES = GENERATED / "tutorials"          # gallery sources (examples_dirs)
CHUNKS = GENERATED / "tutorial_text"       # Markdown chunks, included with MyST
FIGURES = GENERATED / "figures"            # $CSTHEORY_FIGURES while the gallery runs
GALLERY = DOCS / "tutorials"               # gallery_dirs: sphinx-gallery writes the pages here

HEADER = """\
Tutorials
=========

The tutorials of ``tutorials/`` rendered with their figures and printed numbers.  Each one is a
jupytext percent script: run it as ``python tutorials/NAME.py`` or open it as a notebook
(``jupytext --to notebook tutorials/NAME.py``).  This gallery runs them at the quick sizes
(``CSTHEORY_QUICK=1``), as the test suite does; the full sizes are a command away
(``python tutorials/NAME.py``).  Every tutorial ends by asserting the quality it shows, so a page
here is also a passing test.  The equations each page uses link to the :doc:`/paper_map`.
"""

# ---------------------------------------------------------------------------
# citations of the paper → links to the paper map
# ---------------------------------------------------------------------------
#: number of the last numbered equation of the paper
LAST_EQUATION = 53
_NUM = r"(?:\(\d{1,2}\)|\d{1,2}(?![\w-]))"      # (11), or a bare 11 (not the 1 of "1-D")
_SEP = r"\s*(?:,|/|–|—|-|and|&)\s*"
#: "eq. (5), (7)", "eqs. (15)–(16)", "eq. 35 and 37", "equation (11)"
EQUATION_CITATION = re.compile(rf"\b(?P<word>[Ee]qs?\.|[Ee]quations?)(?P<space>\s*)(?P<list>{_NUM}(?:{_SEP}{_NUM})*)")
#: "Theorem 4", "Fig. 3", "Figure 3", "Lemma 2", "Proposition 1", "Assumption 2"
OBJECT_CITATION = re.compile(r"\b(?P<kind>Theorem|Fig\.|Figure|Lemma|Proposition|Assumption)(?P<space>\s+)(?P<num>\d)\b")
_KINDS = {"Theorem": "theorem", "Fig.": "fig", "Figure": "fig", "Lemma": "lemma",
          "Proposition": "proposition", "Assumption": "assumption"}
#: the objects the paper map has anchors for
KNOWN = {"theorem": range(1, 5), "fig": range(1, 6), "lemma": range(1, 6), "proposition": range(1, 3),
         "assumption": range(1, 4)}


def label(kind: str, number: int) -> str:
    """The paper map's anchor for an object: ``paper-eq-11``, ``paper-theorem-4``, ``paper-fig-3``."""
    return f"paper-{kind}-{number}"


def equation_numbers(text: str, expand_ranges: bool = True) -> list[int]:
    """The equation numbers cited in ``text`` ("eq. (35)–(40)" gives 35 … 40 when ``expand_ranges``)."""
    out = []
    for match in EQUATION_CITATION.finditer(text):
        out += _list_numbers(match.group("list"), expand_ranges)
    return [n for n in out if 1 <= n <= LAST_EQUATION]


def _list_numbers(listing: str, expand_ranges: bool) -> list[int]:
    nums = [int(x) for x in re.findall(r"\d{1,2}", listing)]
    if not expand_ranges:
        return nums
    out = []
    parts = re.split(r"\s*(,|/|–|—|-|and|&)\s*", listing)
    # parts alternates number, separator, number, …
    prev = None
    sep = None
    for tok in parts:
        if re.fullmatch(r"\(?\d{1,2}\)?", tok):
            n = int(tok.strip("()"))
            if prev is not None and sep in ("–", "—", "-") and prev < n <= prev + 20:
                out += list(range(prev + 1, n + 1))
            else:
                out.append(n)
            prev = n
        elif tok:
            sep = tok
    return out


def object_citations(text: str) -> list[tuple[str, int]]:
    """(kind, number) of every Theorem/Fig./Lemma/Proposition/Assumption cited in ``text``."""
    out = []
    for match in OBJECT_CITATION.finditer(text):
        kind, num = _KINDS[match.group("kind")], int(match.group("num"))
        if num in KNOWN[kind]:
            out.append((kind, num))
    return out


_MASKED = re.compile(r"(```.*?```|\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]+`|\[[^\]\n]*\]\([^)\n]*\))", re.S)


def _myst_ref(text: str, target: str) -> str:
    return "{ref}`" + text.replace("`", "") + " <" + target + ">`"


def link_citations(markdown: str) -> str:
    """Turn the paper citations of a Markdown text into MyST ``{ref}`` links to the paper map.

    Maths (``$…$``, ``$$…$$``), code and existing links are left alone."""
    pieces = _MASKED.split(markdown)
    for i in range(0, len(pieces), 2):          # even pieces are plain text
        pieces[i] = _link_plain(pieces[i])
    return "".join(pieces)


def _link_plain(text: str) -> str:
    def eq(match):
        listing = match.group("list")

        def one(m):
            n = int(m.group(0).strip("()"))
            if not 1 <= n <= LAST_EQUATION:
                return m.group(0)
            return _myst_ref(m.group(0), label("eq", n))

        linked = re.sub(r"\(?\d{1,2}\)?", one, listing)
        return match.group("word") + match.group("space") + linked

    def obj(match):
        kind, num = _KINDS[match.group("kind")], int(match.group("num"))
        if num not in KNOWN[kind]:
            return match.group(0)
        return _myst_ref(match.group(0), label(kind, num))

    text = EQUATION_CITATION.sub(eq, text)
    return OBJECT_CITATION.sub(obj, text)


# ---------------------------------------------------------------------------
# jupytext percent script → sphinx-gallery source
# ---------------------------------------------------------------------------
_CELL = re.compile(r"^# %%(?P<rest>.*)$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_UNDERLINES = "=-~^\"'`"


def cells(source: str) -> list[tuple[str, str]]:
    """The cells of a jupytext percent script: a list of ``("markdown" | "code", text)``.

    The jupytext YAML header (``# ---`` … ``# ---``) is dropped; Markdown cells lose their
    comment prefix."""
    lines = source.splitlines()
    if lines and lines[0].strip() == "# ---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "# ---"), 0)
        lines = lines[end + 1:]
    out, kind, buf = [], None, []

    def flush():
        if kind is not None:
            text = "\n".join(buf).strip("\n")
            if kind == "markdown":
                text = "\n".join(re.sub(r"^# ?", "", ln) if ln.startswith("#") else ln
                                 for ln in text.splitlines())
            if text.strip():
                out.append((kind, text))

    for line in lines:
        match = _CELL.match(line)
        if match:
            flush()
            kind, buf = ("markdown" if "[markdown]" in match.group("rest") else "code"), []
        else:
            if kind is None:            # code before the first cell marker
                kind, buf = "code", []
            buf.append(line)
    flush()
    return out


def _inline_rst(md: str) -> str:
    """Inline Markdown of a heading as reST: ``$x$`` → :math:, `x` → ``x``."""
    parts = re.split(r"(\$[^$]+\$|`[^`]+`)", md)
    out = []
    for p in parts:
        if p.startswith("$") and p.endswith("$") and len(p) > 1:
            out.append(r":math:`" + p[1:-1] + "`")
        elif p.startswith("`") and p.endswith("`") and len(p) > 1:
            out.append("``" + p[1:-1] + "``")
        else:
            out.append(p.replace("\\", "\\\\"))
    return "".join(out)


def _plain(md: str) -> str:
    """A heading without markup, for the page title."""
    return re.sub(r"[`$*_]", "", md).strip()


#: a tutorial heading's own numbering: "1. ", "07 — ", "3: ", "4) "
_OWN_NUMBER = re.compile(r"^\s*\d+(?:\s*[.:)]|\s+[—–-])\s+")
#: a code cell written for the tests only (its first line names the test module)
TEST_ONLY = "tests/test_tutorials.py"


def page_title(stem: str, heading: str) -> str:
    """The gallery title of a tutorial: "N. heading", N from the file name's leading digits."""
    text = _OWN_NUMBER.sub("", _plain(heading), count=1)
    match = re.match(r"(\d+)", stem)
    return f"{int(match.group(1))}. {text}" if match else text


def _hidden_if_test_only(code: str) -> str:
    """Wrap a tests-only code cell in sphinx-gallery's ignore markers (it runs, it is not shown)."""
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    if first.startswith("#") and TEST_ONLY in first:
        return "# sphinx_gallery_start_ignore\n" + code.rstrip() + "\n# sphinx_gallery_end_ignore"
    return code


def _title(text: str, char: str) -> str:
    return f"{text}\n{char * max(4, 2 * len(text))}"


def _split_markdown(md: str):
    """Yield ``("heading", level, text)`` and ``("text", markdown)`` pieces, outside code fences."""
    buf, fenced = [], False
    for line in md.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            if "\n".join(buf).strip():
                yield ("text", "\n".join(buf).strip("\n"))
            buf = []
            yield ("heading", len(match.group("hashes")), match.group("text"))
        else:
            buf.append(line)
    if "\n".join(buf).strip():
        yield ("text", "\n".join(buf).strip("\n"))


def _comment(rst: str) -> str:
    return "\n".join(("# " + ln) if ln else "#" for ln in rst.splitlines())


def citations_line(source: str) -> str:
    """reST line "This tutorial uses eq. (5), (7) · Theorem 1 · Fig. 1 (paper map)" for a tutorial text."""
    text = "\n".join(t for k, t in cells(source) if k == "markdown")
    eqs = sorted(set(equation_numbers(text, expand_ranges=False)))
    objs = sorted(set(object_citations(text)), key=lambda kn: (list(KNOWN).index(kn[0]), kn[1]))
    names = {"theorem": "Theorem", "fig": "Fig.", "lemma": "Lemma", "proposition": "Proposition",
             "assumption": "Assumption"}
    links = [f":ref:`eq. ({n}) <{label('eq', n)}>`" for n in eqs]
    links += [f":ref:`{names[k]} {n} <{label(k, n)}>`" for k, n in objs]
    if not links:
        return "See the :doc:`/paper_map` for the equations of the paper."
    return "From the paper (:doc:`paper map </paper_map>`): " + ", ".join(links) + "."


def convert(path: Path, sources: Path = SOURCES, chunks: Path = CHUNKS) -> Path:
    """Write the sphinx-gallery source of one tutorial; return its path."""
    source = path.read_text(encoding="utf-8")
    stem = path.stem
    blocks = cells(source)
    chunk_no = 0
    levels: dict[int, str] = {}
    out: list[str] = []
    docstring: list[str] = []

    def include(md: str) -> str:
        nonlocal chunk_no
        chunk_no += 1
        name = f"{stem}_{chunk_no:02d}.md"
        (chunks / name).write_text(link_citations(md) + "\n", encoding="utf-8")
        rel = os.path.relpath(chunks / name, GALLERY)
        return f".. include:: {rel}\n   :parser: myst_parser.sphinx_"

    for kind, text in blocks:
        if kind == "code":
            out.append("# %%\n\n" + _hidden_if_test_only(text).rstrip() + "\n")
            continue
        rst: list[str] = []
        for piece in _split_markdown(text):
            if piece[0] == "heading":
                _, level, heading = piece
                if not docstring:              # the tutorial's first heading is the page title
                    docstring += [_title(page_title(stem, heading), "="), "", citations_line(source), ""]
                    continue
                if level not in levels:
                    levels[level] = _UNDERLINES[min(1 + len(levels), len(_UNDERLINES) - 1)]
                rst += [_title(_inline_rst(heading), levels[level]), ""]
            else:
                rst += [include(piece[1]), ""]
        if not docstring:                      # no heading yet: name the page after its file
            docstring += [_title(stem.replace("_", " "), "="), "", citations_line(source), ""]
        if not out:                            # text before the first code cell: the introduction
            docstring += rst
        elif rst:
            out.append("# %%\n" + _comment("\n".join(rst).rstrip()) + "\n")
    if not docstring:
        docstring += [_title(stem.replace("_", " "), "="), "", citations_line(source), ""]
    text = "\n".join(docstring).rstrip().replace('"""', "'''")
    doc = 'r"""\n' + text + '\n"""\n'          # raw: reST and maths keep their backslashes
    target = sources / path.name
    target.write_text(doc + "\n" + "\n".join(out), encoding="utf-8")
    return target


def convert_tutorials(tutorials: Path = TUTORIALS) -> list[Path]:
    """Convert every ``tutorials/*.py`` into ``docs/_generated/tutorials`` (rewritten from scratch)."""
    for d in (SOURCES, CHUNKS):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    (SOURCES / "GALLERY_HEADER.rst").write_text(HEADER, encoding="utf-8")
    return [convert(p) for p in sorted(tutorials.glob("*.py"))]


# ---------------------------------------------------------------------------
# figures: the PNG files a code block saved to $CSTHEORY_FIGURES
# ---------------------------------------------------------------------------
class SavedFigures:
    """sphinx-gallery image scraper: the PNG files written to ``$CSTHEORY_FIGURES`` by a code block.

    A file counts as new when its name, size or modification time changed since the last block.
    Figures left open in pyplot are closed (they are not shown twice)."""

    def __init__(self):
        self.seen: dict[str, tuple[int, int]] = {}

    def __repr__(self) -> str:          # sphinx-gallery caches its configuration by repr
        return "cstheory_gallery.SavedFigures()"

    def __call__(self, block, block_vars, gallery_conf):
        from sphinx_gallery.scrapers import figure_rst

        directory = Path(os.environ.get("CSTHEORY_FIGURES", FIGURES))
        new = []
        for png in sorted(directory.glob("*.png")) if directory.exists() else []:
            stat = png.stat()
            key = (stat.st_size, stat.st_mtime_ns)
            if self.seen.get(str(png)) != key:
                self.seen[str(png)] = key
                new.append(png)
        paths = []
        for png, dest in zip(new, block_vars["image_path_iterator"]):
            shutil.copyfile(png, dest)
            paths.append(dest)
        import sys
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        return figure_rst(paths, gallery_conf["src_dir"])


#: the scraper instance named in conf.py (``"cstheory_gallery.saved_figures"``)
saved_figures = SavedFigures()


def restore_downloads(app) -> None:
    """Make the gallery's download links serve the original tutorials (``builder-inited``, after the gallery)."""
    if not GALLERY.exists():
        return
    for original in sorted(TUTORIALS.glob("*.py")):
        copy = GALLERY / original.name
        if copy.exists():
            shutil.copyfile(original, copy)
        notebook = GALLERY / (original.stem + ".ipynb")
        if notebook.exists():
            try:
                import jupytext
            except ImportError:          # keep sphinx-gallery's notebook
                continue
            jupytext.write(jupytext.read(original), notebook)


def clean_outputs(app, docname: str, source: list[str]) -> None:
    """``source-read`` of a gallery page: the build machine's ``$CSTHEORY_FIGURES`` → ``figures``."""
    if not docname.startswith("tutorials/"):
        return
    directory = os.environ.get("CSTHEORY_FIGURES", str(FIGURES))
    for path in {directory, str(Path(directory).resolve())}:
        source[0] = source[0].replace(path.rstrip("/") + "/", "figures/").replace(path, "figures")


def add_backreferences(app, what, name, obj, options, lines) -> None:
    """``autodoc-process-docstring``: end a function's or class's docstring with the mini-gallery
    of the tutorials that use it ("Examples using ``cstheory.fit``"), when one does."""
    conf = getattr(app.config, "sphinx_gallery_conf", None) or {}
    directory = conf.get("backreferences_dir")
    if what not in ("function", "class") or not directory:
        return
    examples = Path(app.srcdir) / directory / f"{name}.examples"
    if examples.is_file() and examples.stat().st_size > 0:
        lines += ["", f".. minigallery:: {name}", "   :add-heading:", ""]


def setup(app):
    app.connect("builder-inited", restore_downloads, priority=900)
    app.connect("autodoc-process-docstring", add_backreferences, priority=700)
    app.connect("source-read", clean_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
