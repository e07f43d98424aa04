"""Convolution kernels and circular convolution (floor 2).

Convention: the circulant matrix of a kernel u ∈ R^n is

    U[i, j] = u[(i − j) mod n],   so that   U x = u ⊛ x,

the circular convolution (u ⊛ x)_i = Σ_j u[(i − j) mod n] x_j.  Its
transpose is circular *correlation* with u: (Uᵀ x)_i = Σ_j u[(j − i) mod n] x_j.
Kernels are "centred at index 0": a symmetric kernel has u[d] = u[n − d].
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks
from . import _numeric
from ._backend import asarray, irfft, namespace, resolve, rfft

__all__ = [
    "circulant_matrix", "circular_convolve", "circular_correlate", "autocorrelation",
    "spectral_norm", "check_kernel", "triangular", "gaussian",
]


def check_kernel(u, name="u"):
    """Validate a kernel: a non-empty 1-D real floating array, finite, not all zero.

    Parameters
    ----------
    u : array (n,)
    name : str
        The argument's name, for the error message.

    Returns
    -------
    u : array
        The kernel itself.

    Raises
    ------
    TypeError
        If u is not a real floating array (float32/float64).
    ValueError
        If u is not 1-D, is empty, holds NaN/inf, or is all zero.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory import kernels
    >>> kernels.check_kernel(np.zeros(4))
    Traceback (most recent call last):
        ...
    ValueError: u must not be all zero
    """
    _checks.array(u, name, ndim=1)
    xp = namespace(u)
    if not bool(xp.any(u != 0)):
        raise ValueError(f"{name} must not be all zero")
    return u


def circulant_matrix(u):
    """Dense circulant matrix U with U[i, j] = u[(i − j) mod n], so that U @ x = u ⊛ x.

    Built by gathering entries of ``u`` (``xp.take``), in u's namespace, dtype and device.
    Refused (``ValueError``) when the (n, n) matrix would not fit in memory.

    Parameters
    ----------
    u : array (n,)
        The kernel, centred at index 0.

    Returns
    -------
    U : array (n, n)
        In u's namespace, dtype and device.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> u = np.array([1.0, 2.0, 0.0, 3.0])
    >>> cst.circulant_matrix(u)
    array([[1., 3., 0., 2.],
           [2., 1., 3., 0.],
           [0., 2., 1., 3.],
           [3., 0., 2., 1.]])
    """
    _checks.array(u, "u", ndim=1)
    xp = namespace(u)
    n = u.shape[0]
    _checks.memory(_checks.nbytes((n, n), itemsize=16),
                   f"circulant_matrix(u of length {n}): the ({n}, {n}) matrix and its index")
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    idx = xp.asarray(idx.reshape(-1), device=getattr(u, "device", None))
    return xp.reshape(xp.take(u, idx), (n, n))


def _spectrum(u, ndim, axis):
    """rfft(u) shaped to broadcast against an ``ndim``-array along ``axis``."""
    xp = namespace(u)
    uh = rfft(u)
    shape = [1] * ndim
    shape[axis] = uh.shape[0]
    return xp.reshape(uh, tuple(shape))


def _check_pair(u, x, axis):
    check_kernel(u)
    _checks.array(x, "x")
    _checks.namespace(u=u, x=x)
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension, got a 0-d array")
    axis = _checks.axis(axis, x.ndim)
    if x.shape[axis] != u.shape[0]:
        raise ValueError(f"x must have length n = {u.shape[0]} (the length of u) along axis {axis}, "
                         f"got {x.shape[axis]}")
    return axis


def _convolve(u, x, axis, conj):
    """irfft(rfft(u)^(*) · rfft(x)) after scaling u and x by powers of two to max-entry in [1, 2)."""
    xp = namespace(u)
    n = u.shape[0]
    cu, cx = _numeric.scale(xp, u), _numeric.scale(xp, x)
    uh = _spectrum(u / cu, x.ndim, axis)
    if conj:
        uh = xp.conj(uh)
    out = irfft(uh * rfft(x / cx, axis=axis), n, axis=axis)
    with _numeric.overflow_to_inf():
        return cu * (cx * out)


def circular_convolve(u, x, axis=0):
    """U @ x = u ⊛ x along ``axis``, by real FFTs: irfft(rfft(u) · rfft(x)).

    ``x`` may be a vector or a batch (e.g. the (n, k) matrix C of the two-layer
    generator with ``axis=0``).  O(n log n) per column; scipy.fft with workers
    for NumPy arrays, the namespace's FFT otherwise (see ``_backend``).  u and x
    are scaled by powers of two to a largest entry in [1, 2) first and the result
    rescaled, so kernels and signals of any finite scale (1e±300) give no spurious
    overflow or NaN (and, where nothing overflows, the same bits as without scaling).
    ``axis`` must lie in [−x.ndim, x.ndim) (it does not wrap).

    Parameters
    ----------
    u : array (n,)
        The kernel.
    x : array
        Length n along ``axis``; same namespace as u.
    axis : int
        The axis to convolve along.

    Returns
    -------
    array, shape of x

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> u = cst.kernels.triangular(16, 3)
    >>> C = np.random.default_rng(0).standard_normal((16, 4))     # four channels
    >>> gap = np.abs(cst.circular_convolve(u, C) - cst.circulant_matrix(u) @ C).max()
    >>> print(gap < 1e-14)
    True
    """
    axis = _check_pair(u, x, axis)
    return _convolve(u, x, axis, conj=False)


def circular_correlate(u, x, axis=0):
    """Uᵀ @ x (circular correlation with u) along ``axis``: irfft(conj(rfft(u)) · rfft(x)), scale-safe.

    Parameters
    ----------
    u : array (n,)
        The kernel.
    x : array
        Length n along ``axis``.
    axis : int

    Returns
    -------
    array, shape of x

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> from cstheory import kernels
    >>> u, x = np.array([1.0, 2.0, 0.0, 0.5]), np.array([0.0, 1.0, 0.0, -1.0])
    >>> print(np.allclose(kernels.circular_correlate(u, x), cst.circulant_matrix(u).T @ x))
    True
    """
    axis = _check_pair(u, x, axis)
    return _convolve(u, x, axis, conj=True)


def autocorrelation(u):
    """a[d] = Σ_l u[(l + d) mod n] u[l] = ⟨u_i, u_j⟩ for rows i − j ≡ d of U; U Uᵀ = circulant(a).

    Computed for u/c with c the power of two just below max|u| and rescaled by c²
    (as c·(c·a)), so only values that really exceed the floating-point range overflow
    (to ±inf, never NaN).

    Parameters
    ----------
    u : array (n,)

    Returns
    -------
    a : array (n,)
        Symmetric, a[d] = a[n − d], and a[0] = ‖u‖².

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> from cstheory import kernels
    >>> u = np.array([1.0, 2.0, 0.0, 0.5])
    >>> a = kernels.autocorrelation(u)
    >>> U = cst.circulant_matrix(u)
    >>> print(a, np.allclose(U @ U.T, cst.circulant_matrix(a)))
    [5.25 2.5  2.   2.5 ] True
    """
    check_kernel(u)
    xp = namespace(u)
    n = u.shape[0]
    c = _numeric.scale(xp, u)
    uh = rfft(u / c)
    a = irfft(uh * xp.conj(uh), n)
    # a[d] = a[n - d] exactly in exact arithmetic; symmetrise away the FFT rounding
    mirror = xp.asarray((-np.arange(n)) % n, device=getattr(u, "device", None))
    a = 0.5 * (a + xp.take(a, mirror))
    with _numeric.overflow_to_inf():
        return c * (c * a)


def spectral_norm(u) -> float:
    """‖U‖ of the circulant matrix of u: max_f |DFT(u)_f| (U is diagonalised by the DFT); scale-safe.

    Parameters
    ----------
    u : array (n,)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> from cstheory import kernels
    >>> u = kernels.triangular(32, 4)
    >>> print(abs(kernels.spectral_norm(u) - np.linalg.norm(cst.circulant_matrix(u), 2)) < 1e-12)
    True
    """
    check_kernel(u)
    xp = namespace(u)
    c = _numeric.scale(xp, u)
    with _numeric.overflow_to_inf():
        return float(c) * float(xp.max(xp.abs(rfft(u / c))))


def _circular_distance(n):
    i = np.arange(n)
    return np.minimum(i, n - i)


def triangular(n, half_width, xp=None, dtype=None, device=None):
    """Unit-norm triangular kernel of support 2h − 1 centred at index 0, h = ``half_width`` (Fig. 3).

    u[d] ∝ h − |d| for circular distance |d| < h, zero elsewhere, scaled to
    ‖u‖₂ = 1.  h = 1 is the identity (a one-hot at 0); the support must fit,
    2h − 1 ≤ n.  (The paper's Fig. 3 calls h "p"; in cstheory p counts the components of a
    smooth signal, so the half-width is ``half_width``.)

    Examples
    --------
    >>> from cstheory import kernels
    >>> kernels.triangular(7, 2) * 6 ** 0.5    # [2, 1, 0, 0, 0, 0, 1] / √6, circularly centred at 0
    array([2., 1., 0., 0., 0., 0., 1.])
    """
    n = _checks.positive_int(n, "n")
    h = _checks.positive_int(half_width, "half_width")
    xp, dtype, device = resolve(xp, dtype, device)
    _checks.memory(_checks.nbytes((n,)) * 4, f"triangular(n={n}): the kernel")
    if 2 * h - 1 > n:
        raise ValueError(f"the support 2*half_width-1 = {2 * h - 1} must not exceed n = {n}; "
                         f"choose half_width <= {(n + 1) // 2}")
    u = np.maximum(h - _circular_distance(n), 0).astype(np.float64)
    return asarray(u / np.linalg.norm(u), xp=xp, dtype=dtype, device=device)


def gaussian(n, width, xp=None, dtype=None, device=None):
    """Unit-norm Gaussian kernel u[d] ∝ exp(−d² / (2 width²)), d the circular distance to 0.

    Parameters
    ----------
    n : int
        Length.
    width : float
        Standard deviation, in samples.
    xp, dtype, device
        Namespace (default NumPy), dtype (default float64) and device.

    Returns
    -------
    u : array (n,)
        ‖u‖₂ = 1, symmetric: u[d] = u[n − d].

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory import kernels
    >>> u = kernels.gaussian(16, 2.0)
    >>> print(round(float(u @ u), 12), np.allclose(u[1:], u[1:][::-1]))
    1.0 True
    """
    n = _checks.positive_int(n, "n")
    width = _checks.positive_float(width, "width")
    xp, dtype, device = resolve(xp, dtype, device)
    _checks.memory(_checks.nbytes((n,)) * 4, f"gaussian(n={n}): the kernel")
    d = _circular_distance(n).astype(np.float64)
    u = np.exp(-0.5 * (d / width) ** 2)
    return asarray(u / math.sqrt(float(np.sum(u * u))), xp=xp, dtype=dtype, device=device)
