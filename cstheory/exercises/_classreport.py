"""What a class got wrong: the report of ``cstheory exercise grade … --report class.md``.

Derived from the rows :func:`cstheory.exercises.grade` writes to the CSV —
no second grading — it lists

* the verdict counts;
* each recognised mistake (the CSV's ``mistake`` column) with how many
  submissions made it and which;
* the shrunk counterexamples that rejected the most files;
* the distribution of the checking times;
* the rejected submissions whose hint was generic (no mistake recognised):
  the ones a teacher reads first.

Markdown for a name ending in ``.md``; a self-contained HTML page (the bar
chart of the mistakes drawn with matplotlib, embedded as a base64 PNG, no
network) for ``.html``.
"""
from __future__ import annotations

import base64
import html
import io
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .._files import atomic_write
from ._engine import PRECISION_HINT
from ._formatting import VERDICTS, one_line

__all__ = ["ClassSummary", "summarize", "markdown_report", "html_report", "write_report", "TOP_COUNTEREXAMPLES",
           "GENERAL_MEANINGS"]

#: How many counterexamples the report lists (those that rejected the most files).
TOP_COUNTEREXAMPLES = 5
#: What the diagnoses every exercise shares (:data:`~._engine.GENERAL_DIAGNOSES`) and the ends of a sandboxed
#: check (:mod:`._sandbox`) mean, for the report's "what it is" column.
GENERAL_MEANINGS = {"float32_precision": PRECISION_HINT,
                    "extra_axis": "an extra axis of length 1: an (N, 1) column where an (N,) vector is expected",
                    "wrong_shape": "an answer of the wrong shape (no classic mistake explains it)",
                    "exception": "the function raised an exception",
                    "exit": "the function called sys.exit",
                    "not_implemented": "the stub left as it was (NotImplementedError)",
                    "complex_result": "a complex answer where the answer is real",
                    "uses_cstheory": "called cstheory's own implementation",
                    "timeout": "used up the wall-clock limit (an endless loop, or a much slower method)",
                    "process_ended": "the submission's process ended during a call (exit, crash, out of memory)",
                    "answer_too_large": "an answer larger than the grader reads",
                    "protocol": "wrote into the checker's channel"}


@dataclass
class ClassSummary:
    """The numbers of a class report, counted from the grade rows.

    Attributes
    ----------
    exercise : str
    submissions : int
        Number of rows.
    verdicts : dict
        verdict → number of rows, for every verdict of :data:`~cstheory.exercises.VERDICTS`.
    mistakes : list of (key, [submission, …])
        Each recognised mistake with the submissions that made it, the most frequent first.
    counterexamples : list of (text, [submission, …])
        The shrunk counterexamples shared by the most rejected files, at most :data:`TOP_COUNTEREXAMPLES`.
    seconds : numpy.ndarray
        The checking time of each row.
    generic : list of str
        The rejected submissions with no recognised mistake (a generic hint).
    """

    exercise: str
    submissions: int
    verdicts: dict
    mistakes: list
    counterexamples: list
    seconds: np.ndarray
    generic: list


def summarize(rows, exercise_name: str) -> ClassSummary:
    """Count verdicts, mistakes, counterexamples, times and generic hints in ``rows`` (GradeRows)."""
    verdicts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    by_mistake, by_example = {}, {}
    for r in rows:
        if r.mistake:
            by_mistake.setdefault(r.mistake, []).append(r.submission)
        if r.verdict == "rejected" and r.counterexample:
            by_example.setdefault(r.counterexample, []).append(r.submission)
    mistakes = sorted(by_mistake.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    examples = sorted(by_example.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP_COUNTEREXAMPLES]
    generic = [r.submission for r in rows if r.verdict == "rejected" and not r.mistake]
    return ClassSummary(exercise_name, len(rows), verdicts, mistakes, examples,
                        np.array([r.seconds for r in rows], dtype=float), generic)


def _hint_of(exercise, key) -> str:
    hints = {m.key: m.hint for m in exercise.mistakes}
    return one_line(hints.get(key) or GENERAL_MEANINGS.get(key) or "a diagnosis of the exercise's judge")


def _time_lines(seconds) -> list[str]:
    if not seconds.size:
        return ["no submissions"]
    q = np.percentile(seconds, [0, 25, 50, 75, 90, 100])
    lines = [f"min {q[0]:.2f} s, quartiles {q[1]:.2f} / {q[2]:.2f} / {q[3]:.2f} s, 90th percentile {q[4]:.2f} s, "
             f"max {q[5]:.2f} s, total {seconds.sum():.1f} s", ""]
    edges = [0, 1, 2, 5, 10, 30, 60, float("inf")]
    counts = Counter(next(i for i in range(len(edges) - 1) if s < edges[i + 1]) for s in seconds)
    for i in range(len(edges) - 1):
        if counts[i]:
            label = f"{edges[i]:g}–{edges[i + 1]:g} s" if edges[i + 1] != float("inf") else f"≥ {edges[i]:g} s"
            lines.append(f"- {label}: {counts[i]}")
    return lines


def _cell(text) -> str:
    """Markdown table cell: no line breaks, no pipe."""
    return one_line(text).replace("|", "\\|")


def markdown_report(summary: ClassSummary, exercise, seed=None, level="guided") -> str:
    """The class report as Markdown."""
    s = summary
    out = [f"# Class report: exercise `{s.exercise}`", "",
           f"{s.submissions} submissions" + (f", examples drawn from seed {seed}" if seed is not None else "")
           + f", level {level}.", "", "## Verdicts", "", "| verdict | submissions |", "|---|---:|"]
    out += [f"| {v} | {n} |" for v, n in s.verdicts.items()]
    out += ["", "## Mistakes the class made", ""]
    if s.mistakes:
        out += ["| mistake | submissions | which | what it is |", "|---|---:|---|---|"]
        out += [f"| `{key}` | {len(who)} | {_cell(', '.join(who))} | {_cell(_hint_of(exercise, key))} |"
                for key, who in s.mistakes]
    else:
        out += ["No classic mistake was recognised."]
    out += ["", "## Counterexamples that rejected the most files", ""]
    if s.counterexamples:
        out += ["| files | counterexample | which |", "|---:|---|---|"]
        out += [f"| {len(who)} | `{_cell(text)}` | {_cell(', '.join(who))} |" for text, who in s.counterexamples]
    else:
        out += ["No shrunk counterexample (no rejection, or rows kept from an earlier run)."]
    out += ["", "## Checking time", "", *_time_lines(s.seconds), "",
            "## Read these first: rejected with a generic hint", ""]
    out += [f"- {_cell(name)}" for name in s.generic] or ["None: every rejection named its mistake."]
    return "\n".join(out) + "\n"


def _chart_png(summary: ClassSummary) -> str:
    """A horizontal bar chart of the verdicts and the mistakes, as base64 PNG (matplotlib, no pyplot)."""
    from ..plotting import figure
    labels = [f"verdict: {v}" for v in summary.verdicts] + [f"mistake: {k}" for k, _ in summary.mistakes]
    values = list(summary.verdicts.values()) + [len(who) for _, who in summary.mistakes]
    fig = figure(7.0, 0.8 + 0.32 * len(labels))
    ax = fig.add_subplot()
    ax.barh(range(len(labels)), values, color=["#4c72b0"] * len(summary.verdicts)
            + ["#dd8452"] * len(summary.mistakes))
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("submissions")
    ax.set_title(f"exercise '{summary.exercise}': {summary.submissions} submissions")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def html_report(summary: ClassSummary, exercise, seed=None, level="guided") -> str:
    """The class report as one self-contained HTML page (the chart inline, no external resource)."""
    s, e = summary, html.escape

    def table(header, rows):
        head = "".join(f"<th>{e(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = [f"<h1>Class report: exercise {e(s.exercise)}</h1>",
             f"<p>{s.submissions} submissions" + (f", examples drawn from seed {seed}" if seed is not None else "")
             + f", level {e(level)}.</p>",
             f'<img alt="verdicts and mistakes" src="data:image/png;base64,{_chart_png(s)}">',
             "<h2>Verdicts</h2>", table(("verdict", "submissions"), s.verdicts.items()),
             "<h2>Mistakes the class made</h2>",
             table(("mistake", "submissions", "which", "what it is"),
                   [(k, len(who), ", ".join(who), _hint_of(exercise, k)) for k, who in s.mistakes])
             if s.mistakes else "<p>No classic mistake was recognised.</p>",
             "<h2>Counterexamples that rejected the most files</h2>",
             table(("files", "counterexample", "which"), [(len(who), t, ", ".join(who)) for t, who in s.counterexamples])
             if s.counterexamples else "<p>No shrunk counterexample.</p>",
             "<h2>Checking time</h2>",
             "<pre>" + e("\n".join(_time_lines(s.seconds))) + "</pre>",
             "<h2>Read these first: rejected with a generic hint</h2>",
             "<ul>" + "".join(f"<li>{e(n)}</li>" for n in s.generic) + "</ul>" if s.generic
             else "<p>None: every rejection named its mistake.</p>"]
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Class report: '
            f"{e(s.exercise)}</title><style>{style}</style></head>\n<body>\n" + "\n".join(parts)
            + "\n</body></html>\n")


def write_report(path, grade_report, exercise) -> str:
    """Write the report of ``grade_report`` (a :class:`~._grading.GradeReport`) to ``path``: HTML when the
    name ends in ``.html``/``.htm``, else Markdown.  Returns the path written."""
    summary = summarize(grade_report.rows, exercise.name)
    text_of = html_report if str(path).lower().endswith((".html", ".htm")) else markdown_report
    return atomic_write(path, text_of(summary, exercise, grade_report.seed, grade_report.level))
