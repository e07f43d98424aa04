"""Hypothesis strategies and host-NumPy helpers of the exercise checkers (grading process only).

The inputs an exercise draws: float arrays that shrink to readable numbers,
kernels and Gaussian matrices from :mod:`cstheory.testing`, the circulant
matrix of :func:`cstheory.kernels.circulant_matrix` and the output weights v
of :func:`cstheory.two_layer.output_weights` (eq. 3).  A student's sandboxed
process never imports this module (nor cstheory).
"""
from __future__ import annotations

import functools
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import testing
from ..kernels import circulant_matrix
from ..two_layer import output_weights as _output_weights

__all__ = ["float_arrays", "kernel_strategy", "gaussian_strategy", "circulant", "no_relu_ties", "output_weights"]


@functools.lru_cache(maxsize=None)
def float_arrays(shape, bound: float = 2.0, min_abs: float = 0.0):
    """Float64 arrays with entries in [−bound, bound] and, if ``min_abs`` > 0, |entry| ≥ ``min_abs``.

    Hypothesis shrinks them to simple numbers (0, ±1, ±0.5, …), which makes
    counterexamples readable.  Cached: building a strategy anew for every
    example costs more than drawing from it."""
    if min_abs > 0:
        # x ∈ [−(bound − min_abs), bound − min_abs] ↦ sign(x)(min_abs + |x|): no filter, so shrinking stays
        # cheap (a filter makes most shrink attempts invalid); shrinks towards ±min_abs
        elems = st.floats(-(bound - min_abs), bound - min_abs, allow_nan=False, allow_subnormal=False,
                          width=64).map(lambda x: float(math.copysign(min_abs + abs(x), x)))
    else:
        elems = st.floats(-bound, bound, allow_nan=False, allow_subnormal=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elems)


@functools.lru_cache(maxsize=None)
def kernel_strategy(n: int):
    """:func:`cstheory.testing.kernels` (arbitrary, mostly asymmetric kernels), cached per n."""
    return testing.kernels(n)


@functools.lru_cache(maxsize=None)
def gaussian_strategy(m: int, n: int):
    """:func:`cstheory.testing.measurement_matrices` (iid N(0, 1/m) entries from a drawn seed), cached."""
    return testing.measurement_matrices(m, n)


def circulant(u) -> np.ndarray:
    """Host circulant matrix U[i, j] = u[(i − j) mod n]: :func:`cstheory.kernels.circulant_matrix` on float64."""
    return circulant_matrix(np.asarray(u, dtype=np.float64))


def no_relu_ties(Z, rel: float = 1e-7) -> bool:
    """True when no entry of the pre-activation Z is (numerically) zero, so ReLU'(Z) is unambiguous."""
    Z = np.asarray(Z)
    return bool(np.min(np.abs(Z)) > rel * (1.0 + np.max(np.abs(Z))))


def output_weights(k) -> np.ndarray:
    """v = [1, …, 1, −1, …, −1]/√k of eq. (3), as a host array (:func:`cstheory.two_layer.output_weights`)."""
    return _output_weights(k)
