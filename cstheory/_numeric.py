"""Scale-safe arithmetic shared by the numerical modules (floor 1: imports nothing of cstheory).

A routine that must not overflow or underflow divides its input by a power of two, computes, and
multiplies back.  Scaling by a power of two is exact in floating point, so wherever nothing
overflows the result is bit for bit that of the direct formula.

* :func:`scale` — the power of two 2^e ≤ max|x| < 2^(e+1) of an array (per row with ``axis``);
* :func:`pow2` — the same for a Python float;
* :func:`norm` — ‖x‖₂ without overflow or underflow, as a Python float;
* :func:`overflow_to_inf` — silences the overflow warning where multiplying back gives a
  documented ±inf.
"""
from __future__ import annotations

import contextlib
import math
import warnings

__all__ = ["scale", "pow2", "norm", "overflow_to_inf"]


def scale(xp, x, axis=None):
    """The power of two 2^e ≤ max|x| < 2^(e+1) (1 where x is all zero), as an array of x's namespace.

    The factor of the scale-safe routines: x / 2^e has its largest entry in [1, 2).  With ``axis``,
    one factor per slice along the other axes (kept as a broadcastable dimension).

    Examples
    --------
    >>> import numpy as np
    >>> float(scale(np, np.array([0.3, -0.2]))), float(scale(np, np.zeros(3)))
    (0.25, 1.0)
    """
    c = xp.max(xp.abs(x), axis=axis, keepdims=axis is not None)
    e = xp.floor(xp.log2(xp.where(c > 0, c, xp.ones_like(c))))
    return 2.0 ** e


def pow2(c: float) -> float:
    """The power of two 2^e ≤ |c| < 2^(e+1) of a Python float (1.0 for 0 and non-finite c): the host
    version of :func:`scale`.

    Examples
    --------
    >>> pow2(3.0), pow2(-0.3), pow2(0.0)
    (2.0, 0.25, 1.0)
    """
    return math.ldexp(1.0, math.frexp(c)[1] - 1) if c != 0 and math.isfinite(c) else 1.0


def norm(xp, x) -> float:
    """‖x‖₂ without overflow or underflow: max|x| · ‖x / max|x|‖ (a Python float).

    Examples
    --------
    >>> import numpy as np
    >>> norm(np, np.array([3e200, 4e200]))
    5e+200
    """
    c = float(xp.max(xp.abs(x)))
    if c == 0.0 or not math.isfinite(c):
        return c
    return c * float(xp.linalg.vector_norm(x / c))


@contextlib.contextmanager
def overflow_to_inf():
    """Multiplying a scale-safe result back by its scale may overflow where the true value is beyond
    the floating-point range: that gives ±inf, documented, so the overflow warning is silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="overflow encountered", category=RuntimeWarning)
        yield
