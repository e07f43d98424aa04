"""Pages that cannot go stale: tables written at build time from the package itself.

* ``.. cstheory-exercises::`` — the exercise table, from the exercise registry
  (:func:`exercise_rows`, the one place that reads it);
* ``.. cstheory-experiments::`` — the experiment list, from
  :data:`cstheory.experiments.EXPERIMENTS`;
* ``.. cstheory-cli::`` — the command-line reference: the output of ``cstheory --help`` and of
  every subcommand's ``--help``, produced by running :func:`cstheory.cli.main` (so the page is what
  a user's terminal prints).

Citations of the paper in the generated text ("eq. (20)", "Sec. 5", "Fig. 3") link to the paper map.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from sphinx.util.docutils import SphinxDirective

import cstheory_gallery as gallery

_NAMES = {"theorem": "Theorem", "fig": "Fig.", "lemma": "Lemma", "proposition": "Proposition",
          "assumption": "Assumption"}


# ---------------------------------------------------------------------------
# the exercise registry (one function reads it: switch it here when the registry changes)
# ---------------------------------------------------------------------------
def exercise_rows() -> list[dict]:
    """One dict per exercise of ``cstheory.exercises.EXERCISES``, in teaching order: ``name``,
    ``signature`` (the function the student writes, as in its stub), ``summary`` (one line),
    ``reference`` (the exercise's ``equation``, e.g. "eq. (9), (20)" or "App. B"), and from it
    ``equations`` (the equation numbers, linked to the paper map) and ``objects`` (theorems and
    figures, as ``(kind, number)``)."""
    from cstheory.exercises import EXERCISES

    rows = []
    for name, ex in EXERCISES.items():
        equations = list(dict.fromkeys(gallery.equation_numbers(ex.equation, expand_ranges=False)))
        objects = list(dict.fromkeys(gallery.object_citations(ex.equation)))
        match = re.search(rf"def\s+({re.escape(ex.function)}\s*\([^)]*\))", ex.stub)
        signature = re.sub(r"\s+", " ", match.group(1)) if match else f"{ex.function}(...)"
        rows.append({"name": name, "signature": signature, "summary": ex.summary, "reference": ex.equation,
                     "equations": equations, "objects": objects})
    return rows


def _eq_links(numbers) -> str:
    return ", ".join(f":ref:`eq. ({n}) <{gallery.label('eq', n)}>`" for n in numbers
                     if 1 <= n <= gallery.LAST_EQUATION)


def _object_links(objects) -> str:
    return ", ".join(f":ref:`{_NAMES[k]} {n} <{gallery.label(k, n)}>`" for k, n in objects)


def _cell(text: str) -> str:
    """Plain text for a table cell (no reST markup in it)."""
    text = re.sub(r"([\\*`|_])", r"\\\1", text)
    return text.replace("\n", " ")


def render_exercises() -> list[str]:
    rows = exercise_rows()
    lines = [".. list-table:: The exercises (generated from the exercise registry at build time)",
             "   :header-rows: 1", "   :widths: 20 28 40 12", "   :class: cstheory-wrap", "",
             "   * - name", "     - function to write", "     - what it is", "     - paper"]
    for row in rows:
        lines += [f"   * - ``{row['name']}``", f"     - ``{row['signature']}``",
                  f"     - {_cell(row['summary'])}", f"     - {', '.join(filter(None, [_eq_links(row['equations']), _object_links(row['objects'])])) or _cell(row['reference'])}"]
    return lines + ["", f"{len(rows)} exercises; ``cstheory exercise list`` prints the same names."]


# ---------------------------------------------------------------------------
# the experiment registry
# ---------------------------------------------------------------------------
def _paper_links(paper) -> str:
    out = []
    for item in paper:
        nums = gallery.equation_numbers(item, expand_ranges=False)
        objs = gallery.object_citations(item)
        if nums:
            out.append(_eq_links(nums))
        elif objs:
            out.append(_object_links(objs))
        else:
            out.append(_cell(item))
    return ", ".join(out) or "—"


def render_experiments() -> list[str]:
    from cstheory.experiments import EXPERIMENTS

    lines = [".. list-table:: The experiments (generated from ``cstheory.experiments.EXPERIMENTS``)",
             "   :header-rows: 1", "   :widths: 16 44 24 16", "   :class: cstheory-wrap", "",
             "   * - name", "     - what it reproduces", "     - paper", "     - run by"]
    for name, e in EXPERIMENTS.items():
        how = f"``cstheory reproduce``, ``--only {name}``" if e.reproduce else "its own command (``cstheory sweep``)"
        if e.backends:
            how += "; any backend and dtype"
        lines += [f"   * - :mod:`{name} <{e.module}>`", f"     - {_cell(e.title)}",
                  f"     - {_paper_links(e.paper)}", f"     - {how}"]
    return lines


# ---------------------------------------------------------------------------
# the command line, from its own --help
# ---------------------------------------------------------------------------
def help_text(argv: list[str]) -> str:
    """What ``cstheory ARGV`` prints to stdout (ARGV ends in ``--help``), via :func:`cstheory.cli.main`."""
    from cstheory.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    if code != 0 or not out.getvalue().strip():
        raise RuntimeError(f"cstheory {' '.join(argv)} exited {code}: {err.getvalue().strip()}")
    return out.getvalue()


#: a subcommand's line under "positional arguments": four spaces, its name, then its help (argparse
#: lists a positional's plain choices as ``{a,b}`` only, so those are not taken for subcommands)
_SUBCOMMAND = re.compile(r"^ {4}(\w[\w-]*)(?: {2,}\S.*)?$", re.M)


def subcommands(help_output: str) -> list[str]:
    """The subcommand names an argparse help text lists under "positional arguments"."""
    if "positional arguments:" not in help_output:
        return []
    section = help_output.split("positional arguments:", 1)[1].split("\noptions:", 1)[0]
    return list(dict.fromkeys(_SUBCOMMAND.findall(section)))


def cli_pages() -> list[tuple[str, str]]:
    """``(command line, help text)`` of ``cstheory --help`` and of every subcommand, recursively."""
    out = []

    def visit(argv):
        text = help_text(argv + ["--help"])
        out.append((" ".join(["cstheory", *argv, "--help"]), text))
        for name in subcommands(text):
            visit(argv + [name])

    visit([])
    return out


def render_cli() -> list[str]:
    lines = []
    for command, text in cli_pages():
        title = command.removesuffix(" --help")
        lines += [title, "-" * max(4, 2 * len(title)), "", ".. code-block:: text", ""]
        lines += ["   " + ln if ln.strip() else "" for ln in text.rstrip().splitlines()]
        lines.append("")
    return lines


class _Generated(SphinxDirective):
    has_content = False
    render = staticmethod(lambda: [])

    def run(self):
        import cstheory

        for path in Path(cstheory.__file__).parent.rglob("*.py"):
            self.env.note_dependency(str(path))
        return self.parse_text_to_nodes("\n".join(self.render()), allow_section_headings=True)


class Exercises(_Generated):
    render = staticmethod(render_exercises)


class Experiments(_Generated):
    render = staticmethod(render_experiments)


class CommandLine(_Generated):
    render = staticmethod(render_cli)


def setup(app):
    app.add_directive("cstheory-exercises", Exercises)
    app.add_directive("cstheory-experiments", Experiments)
    app.add_directive("cstheory-cli", CommandLine)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
