"""Right-hand sides of the paper's error bounds (floor 4): eq. (7), (8), and their spectral core.

All bounds are returned *without* the unspecified numerical constant C of
the theorems, so that "observed error / bound" is the quantity a user can
watch stay below a constant.
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks
from ._backend import namespace, to_numpy

__all__ = ["spectral_bound", "theorem1_bound", "geometric_bound"]


def spectral_bound(sigma, coefficients, m):
    """(Σ_i ⟨w_i, x⟩² / σ_i²) · Σ_{i > 2m/3} σ_i², the common core of eq. (7), (13) and (23).

    Parameters
    ----------
    sigma : array (n,)
        Weights σ_i ≥ 0 of the basis functions w_i, in any order (they are
        sorted decreasingly together with ``coefficients``, as the theorem's
        σ_1 ≥ … ≥ σ_n requires).
    coefficients : array (n,)
        ⟨w_i, x⟩ for the same i.
    m : int
        Number of measurements.  The tail sum runs over the paper's 1-based
        i > 2m/3, i.e. the 0-based sorted indices ≥ ⌊2m/3⌋.

    Returns
    -------
    float
        The bound; ``inf`` when x has energy on a direction with σ_i = 0.
    """
    m = _checks.positive_int(m, "m")
    s = to_numpy(sigma).astype(np.float64)
    c = to_numpy(coefficients).astype(np.float64)
    if s.shape != c.shape or s.ndim != 1:
        raise ValueError(f"sigma and coefficients must be 1-D of equal length, got {s.shape} and {c.shape}")
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError("sigma must be finite and non-negative")
    order = np.argsort(-s, kind="stable")
    s, c = s[order], c[order]
    tiny = np.finfo(np.float64).eps * max(float(np.max(np.abs(c))), 1e-300) * 1e3
    energy = 0.0
    for si, ci in zip(s, c):
        if si > 0:
            energy += ci * ci / (si * si)
        elif abs(ci) > tiny:
            return math.inf
    tail = float(np.sum(s[(2 * m) // 3:] ** 2))
    return energy * tail


def theorem1_bound(J, x, m):
    """Right-hand side of eq. (7) without the constant C.

    (Σ_{i=1}^n ⟨w_i, x*⟩² / σ_i²) · Σ_{i > 2m/3} σ_i², with w_i, σ_i the left
    singular vectors and singular values of J (σ_1 ≥ … ≥ σ_n).  Theorem 1:
    the min-norm estimate x̂ = J ĉ from m ≥ 12 Gaussian measurements obeys
    ‖x̂ − x*‖² ≤ C · theorem1_bound(J, x*, m) with probability ≥ 1 − 3e^{−m/2}.

    Parameters
    ----------
    J : array (n, N)
    x : array (n,)
    m : int
    """
    _checks.array(J, "J", ndim=2)
    _checks.array(x, "x", ndim=1)
    xp = namespace(J, x)
    if J.shape[0] != x.shape[0]:
        raise ValueError(f"x must have length n = {J.shape[0]} (rows of J), got {x.shape[0]}")
    n, N = J.shape
    # thin SVD gives all n left singular vectors when N >= n; otherwise the full
    # one does (its V is only N x N) and the missing n - N singular values are 0
    W, s, _ = xp.linalg.svd(J, full_matrices=N < n)
    s = np.concatenate([to_numpy(s), np.zeros(n - s.shape[0])])
    # a rank-deficient J has rounding-level singular values (~eps s_max), not zeros: count them
    # as zero, so that x in the range of J gets a finite bound and x outside it gets inf
    s[s <= max(n, N) * np.finfo(s.dtype).eps * s.max(initial=0.0)] = 0.0
    return spectral_bound(s, W.T @ x, m)


def geometric_bound(gamma, m, x_norm=1.0):
    """Eq. (8): γ^{m/3} / (1 − γ) · ‖x*‖², for σ_i² = γ^i and x* ∈ span(w_1 … w_{m/3}).

    Parameters
    ----------
    gamma : float in (0, 1)
    m : int
    x_norm : float
        ‖x*‖₂.
    """
    gamma = float(gamma)
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must lie in (0, 1), got {gamma}")
    m = _checks.positive_int(m, "m")
    x_norm = _checks.positive_float(x_norm, "x_norm", allow_zero=True)
    return gamma ** (m / 3.0) / (1.0 - gamma) * x_norm**2
