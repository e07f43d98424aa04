"""Measurement operators A (floor 2).

A measurement operator is either a plain ``(m, n)`` array or a matrix-free
:class:`LinearOperator`; both support ``A @ x`` and ``A.T @ r``, which is all
that :func:`cstheory.fit` and the baselines use.
"""
from __future__ import annotations

import math

import array_api_compat
import numpy as np

from . import _checks
from ._backend import as_generator, asarray, namespace, normal, to_numpy

__all__ = ["gaussian_matrix", "LinearOperator", "operator_norm", "power_iteration", "shape_of", "array_like"]


def gaussian_matrix(m, n, rng=0, xp=None, dtype=None, device=None):
    """Gaussian measurement matrix A ∈ R^{m×n} with iid N(0, 1/m) entries (Sec. 3).

    With this variance norms are approximately preserved: E‖A z‖² = ‖z‖².
    Drawn on the host from ``rng``, so one seed gives the same matrix on every backend.
    """
    m = _checks.positive_int(m, "m")
    n = _checks.positive_int(n, "n")
    return normal((m, n), rng=rng, scale=1.0 / math.sqrt(m), xp=xp, dtype=dtype, device=device)


class LinearOperator:
    """Matrix-free linear map R^n → R^m with its adjoint.

    Subclasses implement :meth:`matvec` (``A @ x``) and :meth:`rmatvec`
    (``A.T @ r``) for 1-D inputs and set ``shape = (m, n)`` and the
    ``xp``, ``dtype`` and ``device`` of the arrays they produce.  ``A.T`` is the
    adjoint operator, so code written for arrays works unchanged.
    """

    shape: tuple[int, int]
    xp = None
    dtype = None
    device = None

    def matvec(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def rmatvec(self, r):  # pragma: no cover - abstract
        raise NotImplementedError

    def __matmul__(self, x):
        return self.matvec(x)

    @property
    def T(self):
        return _Adjoint(self)

    def to_dense(self):
        """The explicit (m, n) matrix, built column by column (small sizes only)."""
        _, n = self.shape
        eye = np.eye(n)
        cols = [to_numpy(self.matvec(asarray(eye[j], xp=self.xp, dtype=self.dtype, device=self.device)))
                for j in range(n)]
        return asarray(np.stack(cols, axis=1), xp=self.xp, dtype=self.dtype, device=self.device)


class _Adjoint(LinearOperator):
    def __init__(self, op):
        self._op = op
        self.shape = (op.shape[1], op.shape[0])
        self.xp, self.dtype, self.device = op.xp, op.dtype, op.device

    def matvec(self, x):
        return self._op.rmatvec(x)

    def rmatvec(self, r):
        return self._op.matvec(r)

    @property
    def T(self):
        return self._op


def shape_of(A) -> tuple[int, int]:
    """``(m, n)`` of an array or a :class:`LinearOperator`; ``TypeError`` for anything else."""
    shp = getattr(A, "shape", None)
    if shp is None or len(shp) != 2 or not (hasattr(A, "__matmul__") and hasattr(A, "T")):
        raise TypeError(f"A must be a 2-D array or an operator with .shape, A @ x and A.T @ r; got {type(A).__name__}")
    return int(shp[0]), int(shp[1])


def power_iteration(apply, x0, iters=100, rtol=1e-10):
    """Largest eigenvalue of a symmetric PSD map ``apply`` by power iteration from ``x0``.

    Stops when the Rayleigh quotient changes by less than ``rtol`` (relative)
    or after ``iters`` iterations; returns a Python float.
    """
    xp = namespace(x0)
    x = x0 / xp.linalg.vector_norm(x0)
    lam = 0.0
    for _ in range(iters):
        y = apply(x)
        new = float(xp.sum(x * y))
        nrm = float(xp.linalg.vector_norm(y))
        if nrm == 0.0:
            return 0.0
        x = y / nrm
        if abs(new - lam) <= rtol * abs(new):
            return new
        lam = new
    return lam


def array_like(A):
    """``(xp, dtype, device)`` of an array or of a :class:`LinearOperator` (which carries them)."""
    if isinstance(A, LinearOperator):
        return A.xp, A.dtype, A.device
    return namespace(A), A.dtype, array_api_compat.device(A)


def operator_norm(A, rng=0, iters=100):
    """‖A‖ (largest singular value) of an array or operator, by power iteration on AᵀA."""
    _, n = shape_of(A)
    xp, dtype, device = array_like(A)
    x0 = asarray(as_generator(rng).standard_normal(n), xp=xp, dtype=dtype, device=device)
    return math.sqrt(max(power_iteration(lambda v: A.T @ (A @ v), x0, iters=iters), 0.0))
