"""Proximal maps (floor 5): soft thresholding (ℓ1), vector shrinkage (the isotropic TV's norm), the TV-dual projection.

Each public map checks its arguments; the unchecked twins (:func:`soft`, :func:`shrink_vectors`,
:func:`project_tv_dual`) are what the solvers call inside their loops.
"""
from __future__ import annotations

from .. import _checks
from .._backend import namespace
from .transforms import field_norm

__all__ = ["soft_threshold", "shrink"]


def soft(c, t):
    """:func:`soft_threshold` without the checks (the solvers' inner loop)."""
    xp = namespace(c)
    return xp.sign(c) * xp.clip(xp.abs(c) - t, min=0.0)


def soft_threshold(c, t):
    """The prox of t‖·‖₁: sign(c) · max(|c| − t, 0), entrywise.

    Parameters
    ----------
    c : array of any shape
        Real, finite (float32 or float64), any backend; 0-d too.
    t : float
        The threshold, t ≥ 0.

    Returns
    -------
    array
        Same shape, dtype and backend as ``c``.

    Raises
    ------
    TypeError
        For a ``c`` that is not a real floating array, or a ``t`` that is not a real number.
    ValueError
        For NaN/inf or an empty ``c``, or t < 0 or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import soft_threshold
    >>> print(soft_threshold(np.array([-3.0, -0.5, 0.0, 0.2, 2.0]), 1.0))   # shrinks by 1, kills |c| ≤ 1
    [-2. -0.  0.  0.  1.]
    """
    _checks.array(c, "c")
    t = _checks.positive_float(t, "t", allow_zero=True)
    return soft(c, t)


def shrink_vectors(g, t):
    """:func:`shrink` without the checks (the solvers' inner loop); a leading axis of any length (the field
    (4, h, w) of a complex image's gradient, or the (2, h, w) coefficients of a complex image: the complex soft
    threshold c · max(1 − t/|c|, 0))."""
    xp = namespace(g)
    mag = field_norm(g)
    factor = xp.clip(1.0 - t / xp.clip(mag, min=1e-300), min=0.0)
    return g * factor


def shrink(g, t):
    """The prox of t Σ_ij ‖g_ij‖₂ (vector shrinkage): g_ij · max(1 − t/‖g_ij‖₂, 0).

    The prox of the isotropic TV's norm on a gradient field; :func:`tv_admm`'s z-update.

    Parameters
    ----------
    g : array (2, h, w)
        A vector field (two components per pixel), real, finite.
    t : float
        The threshold, t ≥ 0.

    Returns
    -------
    array (2, h, w)
        Each vector g_ij shortened by t (to 0 if ‖g_ij‖₂ ≤ t), its direction kept.

    Raises
    ------
    TypeError
        For a ``g`` that is not a real floating array, or a ``t`` that is not a real number.
    ValueError
        For a ``g`` not of shape (2, h, w), with NaN/inf, or a negative ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import shrink
    >>> g = np.zeros((2, 1, 2))
    >>> g[:, 0, 0] = [3.0, 4.0]                    # a vector of length 5 …
    >>> g[:, 0, 1] = [0.3, 0.4]                    # … and one of length 0.5
    >>> out = shrink(g, 1.0)
    >>> print(out[:, 0, 0], out[:, 0, 1])          # length 4 in the same direction; the short one is 0
    [2.4 3.2] [0. 0.]
    """
    _checks.array(g, "g", ndim=3)
    if g.shape[0] != 2:
        raise ValueError(f"g must have shape (2, h, w) (a vector per pixel), got {tuple(g.shape)}")
    t = _checks.positive_float(t, "t", allow_zero=True)
    return shrink_vectors(g, t)


def project_tv_dual(field, lam, isotropic):
    """Projection of a field (2, h, w) onto {‖field_ij‖₂ ≤ λ} (isotropic) or {|field| ≤ λ} (anisotropic): the
    prox of (λ TV)*, Chambolle–Pock's dual step (:func:`cstheory.baselines.tv`); unchecked, λ ≥ 0."""
    xp = namespace(field)
    if lam == 0:
        return xp.zeros_like(field)
    if isotropic:
        return field / xp.clip(field_norm(field) / lam, min=1.0)
    return xp.clip(field, min=-lam, max=lam)
