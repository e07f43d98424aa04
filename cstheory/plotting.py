"""One plotting style for every figure (floor 6): Figures made without pyplot, saved atomically.

Every ``plot(result, path=None)`` of :mod:`cstheory.experiments` draws on a
:class:`matplotlib.figure.Figure` from :func:`figure` — no pyplot, so no
global state, no GUI backend and nothing to close — and writes it with
:func:`save`, which renders to a temporary file next to ``path`` and renames
it, so an interrupted run never leaves a truncated PNG behind.
"""
from __future__ import annotations

import os
from pathlib import Path

from ._files import temporary_name

__all__ = ["figure", "save", "DPI"]

#: resolution of the saved PNGs
DPI = 120


def figure(width, height):
    """A new :class:`matplotlib.figure.Figure` of ``width`` × ``height`` inches with constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save(fig, path, dpi=DPI):
    """Write ``fig`` to ``path`` (format from the suffix) through a temporary file and an atomic rename.

    Returns ``path``; does nothing and returns ``None`` when ``path`` is ``None``.
    """
    if path is None:
        return None
    path = Path(path)
    tmp = temporary_name(path if path.suffix else path.with_suffix(".png"))
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
