"""Figure 2: the 1st, 2nd, 6th and 21st trigonometric basis functions in dimension n = 300 (eq. 10).

The paper's running text counts the basis functions 1-based (w_1, …, w_n),
while eq. (10) and :func:`cstheory.trig_basis` index them 0-based: the
paper's "k-th" function is column ``k − 1``.  So Fig. 2 shows columns
0, 1, 5 and 20: the constant and the cosines of frequency 1, 5 and 20.

Data first, plot second::

    from cstheory.experiments import fig2
    result = fig2.run()
    fig2.plot(result, "fig2.png")
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._repr import compact_repr
from .. import _checks
from ..signals import frequency, trig_basis
from ..plotting import figure, save

__all__ = ["Fig2Result", "run", "plot", "checks", "PAPER_INDICES"]

#: The functions of Fig. 2 in the paper's 1-based numbering.
PAPER_INDICES = (1, 2, 6, 21)


@compact_repr
@dataclass
class Fig2Result:
    """Data of Fig. 2.

    Attributes
    ----------
    n : int
        Signal length.
    indices_1based : numpy.ndarray (q,)
        The paper's 1-based numbers k of the functions shown.
    columns : numpy.ndarray (n, q)
        ``columns[:, c]`` is w_k (1-based), i.e. ``trig_basis(n)[:, k - 1]``.
    frequencies : numpy.ndarray (q,)
        Frequency min(k − 1, n − k + 1) of each function.
    j : numpy.ndarray (n,)
        Sample positions 0, …, n − 1.
    """

    n: int
    indices_1based: np.ndarray
    columns: np.ndarray
    frequencies: np.ndarray
    j: np.ndarray


def run(quick=False, n=300, indices_1based=PAPER_INDICES):
    """Compute the basis functions of Fig. 2 (no drawing).

    Parameters
    ----------
    quick : bool
        Accepted for the common experiment interface; the figure is cheap, so
        it changes nothing.
    n : int
        Signal length (the paper: 300).
    indices_1based : sequence of int
        The paper's 1-based numbers of the functions to show, each in 1 … n.
    """
    quick = _checks.flag(quick, "quick")
    n = _checks.positive_int(n, "n")
    idx = np.asarray([_checks.positive_int(k, "indices_1based entry") for k in indices_1based], dtype=int)
    if idx.size == 0 or np.any(idx > n):
        raise ValueError(f"indices_1based must be a non-empty sequence of integers in 1..{n}, "
                         f"got {list(indices_1based)}")
    W = np.asarray(trig_basis(n))
    return Fig2Result(
        n=n,
        indices_1based=idx,
        columns=W[:, idx - 1].copy(),
        frequencies=frequency(n)[idx - 1],
        j=np.arange(n),
    )


def plot(result, path=None):
    """Draw Fig. 2 from a :class:`Fig2Result`: one small panel per basis function.

    Returns the :class:`matplotlib.figure.Figure` (created without pyplot, so
    no GUI backend is needed); saves it to ``path`` if given.
    """

    q = result.columns.shape[1]
    fig = figure(3.0 * q, 2.6)
    axes = fig.subplots(1, q, sharey=True)
    axes = np.atleast_1d(axes)
    for c, ax in enumerate(axes):
        k = int(result.indices_1based[c])
        ax.plot(result.j, result.columns[:, c], lw=1.2)
        ax.axhline(0.0, color="0.7", lw=0.6)
        ax.set_title(f"$w_{{{k}}}$ (column {k - 1}, frequency {int(result.frequencies[c])})", fontsize=9)
        ax.set_xlabel("$j$")
        ax.set_xlim(0, result.n - 1)
    axes[0].set_ylabel(r"$[w_k]_j$")
    fig.suptitle(f"Trigonometric basis functions of eq. (10), n = {result.n} (paper's 1-based numbering)",
                 fontsize=10)
    save(fig, path)
    return fig


def checks(result):
    """Theory check: the functions drawn are orthonormal (eq. 10)."""
    from ..report import Check
    G = result.columns.T @ result.columns
    return [Check("shown w_i orthonormal: max |WᵀW − I|", float(np.max(np.abs(G - np.eye(G.shape[0])))), 1e-12)]
