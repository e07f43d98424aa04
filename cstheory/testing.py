"""Hypothesis strategies and assertion helpers for testing the maths (floor 6).

The project's own tests and the exercise checkers use these, so students can
write property-based tests the way we do::

    from hypothesis import given
    from cstheory.testing import kernels, sizes, assert_adjoint

Requires the ``test`` extra (hypothesis).  Strategies produce *host* NumPy
arrays or seeds; move them to a backend with ``cstheory._backend.asarray``
or :func:`on_backend`.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ._backend import asarray, available_backends, resolve_namespace, namespace, to_numpy
from ._backend import tolerance as _tolerance

__all__ = [
    "sizes", "even_sizes", "seeds", "kernels", "kernel_arrays", "smooth_signals", "measurement_matrices",
    "backends", "on_backend", "tolerance", "assert_allclose", "assert_adjoint", "assert_jvp_finite_differences",
    "inner",
]


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------
def sizes(min_value: int = 2, max_value: int = 24):
    """Signal lengths n, odd and even."""
    return st.integers(min_value, max_value)


def even_sizes(min_value: int = 2, max_value: int = 16):
    """Even integers (channel counts k of the two-layer generator)."""
    return st.integers(max(1, (min_value + 1) // 2), max_value // 2).map(lambda h: 2 * h)


def seeds():
    """Seeds for ``rng=`` arguments."""
    return st.integers(0, 2**32 - 1)


def kernel_arrays(n: int, min_norm: float = 0.1):
    """Arbitrary (generally asymmetric) kernels u ∈ R^n with ‖u‖ ≥ ``min_norm``, as host arrays.

    Entries are floats in [-1, 1]; hypothesis shrinks them towards simple
    counterexamples (one-hot, constant, …)."""
    elems = st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False, width=64)
    return hnp.arrays(np.float64, n, elements=elems).filter(lambda u: np.linalg.norm(u) >= min_norm)


def kernels(n: int):
    """Kernels of several families for length n: arbitrary arrays, shifted one-hots, asymmetric
    ramps, triangles and Gaussians of random width (all host arrays, none all-zero)."""
    def shifted_ramp(args):
        width, shift = args
        u = np.zeros(n)
        u[:width] = np.arange(width, 0, -1.0)
        return np.roll(u, shift)

    def one_hot(shift):
        u = np.zeros(n)
        u[shift % n] = 1.0
        return u

    def triangle(half_width):
        d = np.minimum(np.arange(n), n - np.arange(n))
        u = np.maximum(half_width - d, 0.0)
        return u / np.linalg.norm(u)

    def gaussian(width):
        d = np.minimum(np.arange(n), n - np.arange(n))
        u = np.exp(-0.5 * (d / width) ** 2)
        return u / np.linalg.norm(u)

    return st.one_of(
        kernel_arrays(n),
        st.integers(0, n - 1).map(one_hot),
        st.tuples(st.integers(1, n), st.integers(0, n - 1)).map(shifted_ramp),
        st.integers(1, max(1, n // 2)).map(triangle),
        st.floats(0.3, max(0.5, n / 3.0)).map(gaussian),
    )


def smooth_signals(n: int, max_p: int | None = None):
    """Unit-norm p-smooth signals of length n (host arrays), p from 1 to ``max_p``."""
    from .signals import smooth_signal
    max_p = n if max_p is None else min(max_p, n)
    return st.tuples(st.integers(1, max_p), seeds()).map(lambda a: to_numpy(smooth_signal(n, a[0], rng=a[1])))


def measurement_matrices(m: int, n: int):
    """Gaussian N(0, 1/m) matrices (host arrays) drawn from hypothesis-chosen seeds."""
    from .operators import gaussian_matrix
    return seeds().map(lambda s: to_numpy(gaussian_matrix(m, n, rng=s)))


def backends():
    """Names of the backends present (numpy, array_api_strict, and cupy with a GPU)."""
    return st.sampled_from(available_backends())


def on_backend(x, xp, dtype=None):
    """Move host data ``x`` to namespace ``xp`` (a module or a backend name)."""
    return asarray(x, xp=resolve_namespace(xp), dtype=dtype)


# ---------------------------------------------------------------------------
# assertions
# ---------------------------------------------------------------------------
def tolerance(dtype) -> float:
    """Relative tolerance for comparisons in ``dtype``: 1e-9 (float64) or 1e-4 (float32)."""
    return _tolerance(dtype)


def inner(a, b) -> float:
    """⟨a, b⟩ over all entries, as a Python float."""
    xp = namespace(a, b)
    return float(xp.sum(xp.reshape(a, (-1,)) * xp.reshape(b, (-1,))))


def assert_allclose(actual, desired, rtol=None, atol=None, err_msg=""):
    """Compare arrays of any backend on the host.

    Default tolerances follow the dtype of ``actual``: ``rtol = tolerance(dtype)``
    and ``atol = rtol · max(1, max|desired|)`` so that entries near zero are
    judged on the scale of the whole array."""
    a = to_numpy(actual)
    d = to_numpy(desired)
    if rtol is None:
        rtol = tolerance(getattr(actual, "dtype", a.dtype))
    if atol is None:
        atol = rtol * max(1.0, float(np.max(np.abs(d))) if d.size else 1.0)
    np.testing.assert_allclose(a, d, rtol=rtol, atol=atol, err_msg=err_msg)


def assert_adjoint(forward, adjoint, x, r, rtol=None):
    """Check ⟨F x, r⟩ = ⟨x, Fᵀ r⟩ relative to ‖F x‖‖r‖ + ‖x‖‖Fᵀ r‖."""
    Fx = forward(x)
    Ftr = adjoint(r)
    lhs, rhs = inner(Fx, r), inner(x, Ftr)
    scale = math.sqrt(inner(Fx, Fx) * inner(r, r)) + math.sqrt(inner(x, x) * inner(Ftr, Ftr))
    if rtol is None:
        rtol = tolerance(getattr(Fx, "dtype", np.float64))
    assert abs(lhs - rhs) <= rtol * max(scale, 1e-300), f"<Fx, r> = {lhs!r} but <x, F^T r> = {rhs!r}"


def assert_jvp_finite_differences(f, jvp, x, t, h=1e-6, rtol=1e-5):
    """Check J t against the central difference (f(x + h t) − f(x − h t)) / 2h.

    The error of a central difference is O(h²‖t‖³) (plus rounding O(eps/h));
    for piecewise-linear maps (ReLU) it is exact unless a kink lies within h,
    which the caller should rule out (e.g. with ``hypothesis.assume``)."""
    xp = namespace(x, t)
    fd = (f(x + h * t) - f(x - h * t)) / (2.0 * h)
    exact = jvp(x, t)
    err = float(xp.max(xp.abs(xp.reshape(fd - exact, (-1,)))))
    scale = float(xp.max(xp.abs(xp.reshape(exact, (-1,))))) + float(xp.max(xp.abs(xp.reshape(fd, (-1,)))))
    assert err <= rtol * max(scale, 1e-12), f"JVP differs from central differences by {err:.3g} (scale {scale:.3g})"
