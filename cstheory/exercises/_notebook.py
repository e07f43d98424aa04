"""An exercise as a Jupyter notebook (nbformat 4), written without Jupyter installed.

The notebook has the statement (markdown), the stub in a code cell that
starts with ``%%writefile NAME.py`` — running the cell saves the student's
solution as the file that ``cstheory exercise check`` and ``cstheory
exercise grade`` read — and a cell that checks that file (sandboxed, the same
check as the command line).
"""
from __future__ import annotations

import json

from .._files import atomic_write

__all__ = ["exercise_notebook", "write_notebook"]


def _markdown(cell_id, text):
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def _code(cell_id, text):
    return {"cell_type": "code", "id": cell_id, "metadata": {}, "execution_count": None, "outputs": [],
            "source": text}


def _statement_markdown(exercise, level="guided"):
    """The statement at ``level`` as markdown: paragraphs as text, displayed formulas (indented lines) as
    code blocks."""
    blocks = []
    for para in exercise.statement_for(level).strip("\n").split("\n\n"):
        if para.startswith(" "):
            blocks.append("```text\n" + "\n".join(line.strip() for line in para.strip("\n").splitlines()) + "\n```")
        else:
            blocks.append(" ".join(para.split()))
    return "\n\n".join(blocks)


def exercise_notebook(exercise, level="guided") -> dict:
    """The notebook of ``exercise`` (an :class:`~cstheory.exercises.Exercise`) at ``level`` (``guided``,
    ``standard`` or ``exam``: the statement and the check cell's level) as an nbformat-4 dict."""
    filename = f"{exercise.name}.py"
    level_arg = "" if level == "guided" else f", level={level!r}"
    cells = [
        _markdown("statement", f"# {exercise.heading(level)}\n\n{_statement_markdown(exercise, level)}"),
        _markdown("how-to", f"Write your solution in the next cell, replacing `raise NotImplementedError`, and run "
                            f"the cell: its first line, `%%writefile {filename}`, saves it as `{filename}` — the file "
                            f"you hand in. Then run the cell after it to check the file."),
        _code("solution", f"%%writefile {filename}\n{exercise.stub.strip()}\n"),
        _code("check", "from cstheory import exercises\n\n"
                       f"print(exercises.check_file({exercise.name!r}, {filename!r}{level_arg}).report())"),
        _markdown("grading", f"Your teacher grades `{filename}` with the same property on other random examples "
                             f"(`cstheory exercise grade {exercise.name} …`): an answer that is right only on the "
                             "counterexamples shown here does not pass."),
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_notebook(exercise, path, level="guided") -> str:
    """Write the notebook of ``exercise`` at ``level`` to ``path`` atomically (a temporary file, then a rename)."""
    text = json.dumps(exercise_notebook(exercise, level), indent=1, ensure_ascii=False) + "\n"
    return atomic_write(path, text)
