"""Signals: the trigonometric basis of eq. (10), p-smooth signals and bundled images.

Index convention
----------------
Column ``i`` of :func:`trig_basis` is w_i of eq. (10) with the paper's own
index i = 0, …, n-1 (eq. (10) itself starts at i = 0).  The paper's running
text counts the same functions 1-based, w_1, …, w_n (Fig. 2 shows "the 1st,
2nd, 6th and 21st"); the paper's w_k (1-based) is ``trig_basis(n)[:, k - 1]``.

In eq. (10) the cosines come first (i = 1 … n/2 - 1, increasing frequency)
and the sines last, with *decreasing* frequency: w_i for i > n/2 is
sin(2π j i / n) = -sin(2π j (n - i) / n), the sine of frequency n - i.
:func:`frequency_order` lists the indices from the lowest to the highest
frequency, and :func:`smooth_signal` uses it.
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks
from ._backend import as_generator, asarray, resolve

__all__ = ["trig_basis", "frequency_order", "frequency", "smooth_signal", "load_image", "IMAGES"]


def _trig_columns(n: int, cols) -> np.ndarray:
    """Columns ``cols`` of the basis of eq. (10), shape (n, len(cols)), without forming the others."""
    j = np.arange(n)[:, None]
    i = np.asarray(cols, dtype=np.int64)[None, :]
    angle = 2.0 * np.pi * ((j * i) % n) / n  # reduce j*i mod n: exact angles for large n
    W = np.where(i <= (n - 1) // 2, math.sqrt(2.0) * np.cos(angle), math.sqrt(2.0) * np.sin(angle))
    W[:, i[0] == 0] = 1.0
    if n % 2 == 0:
        W[:, i[0] == n // 2] = ((-1.0) ** np.arange(n))[:, None]
    return W / math.sqrt(n)


def _trig_basis_host(n: int) -> np.ndarray:
    return _trig_columns(n, np.arange(n))


def _check_size(n, what, columns=None):
    """Refuse a basis (or ``columns`` of it) that would not fit in memory (the host build needs ~5 copies)."""
    _checks.memory(_checks.nbytes((n, n if columns is None else columns)) * 5,
                   f"{what}: the ({n}, {n if columns is None else columns}) trigonometric basis")


def trig_basis(n, xp=None, dtype=None, device=None):
    """The orthonormal trigonometric basis W = [w_0, …, w_{n-1}] of eq. (10).

    .. math::
        [w_i]_j = \\frac{1}{\\sqrt n}\\begin{cases} 1 & i = 0\\\\
        \\sqrt2\\cos(2\\pi j i/n) & 1 \\le i < n/2\\\\
        (-1)^j & i = n/2 \\\\
        \\sqrt2\\sin(2\\pi j i/n) & n/2 < i \\le n-1\\end{cases}

    with j = 0, …, n-1.  For odd n there is no (-1)^j column: i = 1 … (n-1)/2
    are cosines and i = (n+1)/2 … n-1 are sines.  Column ``i`` is the paper's
    0-based w_i, i.e. its 1-based w_{i+1} (see the module docstring).

    Parameters
    ----------
    n : int
        Signal length, n ≥ 1.
    xp, dtype, device
        Namespace (default NumPy), dtype (default float64) and device.

    Returns
    -------
    W : array, shape (n, n), orthonormal (Wᵀ W = I).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> W = cst.trig_basis(6)
    >>> print(np.abs(W.T @ W - np.eye(6)).max() < 1e-14)      # orthonormal
    True
    >>> print(np.round(W[:, 1] * np.sqrt(3), 3))              # w_1 = √(2/6) cos(2πj/6)
    [ 1.   0.5 -0.5 -1.  -0.5  0.5]
    >>> print(np.round(W[:, 3] * np.sqrt(6), 3))              # w_{n/2} = (−1)^j/√6
    [ 1. -1.  1. -1.  1. -1.]
    """
    n = _checks.positive_int(n, "n")
    xp, dtype, device = resolve(xp, dtype, device)
    _check_size(n, f"trig_basis(n={n})")
    return asarray(_trig_basis_host(n), xp=xp, dtype=dtype, device=device, exact=True)


def frequency(n) -> np.ndarray:
    """Frequency of each column of :func:`trig_basis`: f_i = min(i, n - i) (a NumPy int array).

    Parameters
    ----------
    n : int
        Signal length.

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        f_i = min(i, n − i), the number of periods of column i of :func:`trig_basis` over n samples.

    Examples
    --------
    >>> import cstheory as cst
    >>> cst.frequency(8)
    array([0, 1, 2, 3, 4, 3, 2, 1])
    """
    n = _checks.positive_int(n, "n")
    _checks.memory(_checks.nbytes((n,)) * 4, f"frequency(n={n}): the frequencies")
    i = np.arange(n)
    return np.minimum(i, n - i)


def frequency_order(n) -> np.ndarray:
    """Indices of :func:`trig_basis` columns from low to high frequency.

    ``[0, 1, n-1, 2, n-2, …]``: the constant, then for each frequency f the
    cosine w_f followed by the sine w_{n-f}.  The first p entries span the
    p lowest-frequency basis functions.

    Parameters
    ----------
    n : int
        Signal length.

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        A permutation of 0, …, n − 1.

    Examples
    --------
    >>> import cstheory as cst
    >>> order = cst.frequency_order(8)
    >>> print(order, cst.frequency(8)[order])      # constant, (cos 1, sin 1), (cos 2, sin 2), …
    [0 1 7 2 6 3 5 4] [0 1 1 2 2 3 3 4]
    """
    f = frequency(n)
    # ties (cos f, sin f): cosine first, i.e. the smaller index
    return np.lexsort((np.arange(n), f))


def smooth_signal(n, p, rng=0, xp=None, dtype=None, device=None):
    """A random unit-norm p-smooth signal: x ∈ span of the p lowest-frequency w_i.

    The coefficients on those p basis functions (the first p of
    :func:`frequency_order`: constant, cos 1, sin 1, cos 2, …) are iid
    Gaussian, drawn on the host from ``rng``; the signal is normalised to
    ‖x‖₂ = 1.  This is the paper's "p-smooth" signal of Sec. 1.2
    (x* = Σ_{i ≤ p} w_i ⟨w_i, x*⟩), with the basis functions taken in order of
    frequency, so that sines are included with their cosines.

    Parameters
    ----------
    n : int
        Signal length.
    p : int
        Number of basis functions, 1 ≤ p ≤ n.
    rng : int or numpy.random.Generator
        Seed or generator for the coefficients.
    xp, dtype, device
        Namespace (default NumPy), dtype (default float64) and device of the result.

    Returns
    -------
    x : array, shape (n,)
        ‖x‖₂ = 1, in the span of ``trig_basis(n)[:, frequency_order(n)[:p]]``.

    Raises
    ------
    ValueError
        If p > n or a size is not a positive integer.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> x = cst.smooth_signal(32, 3, rng=0)
    >>> coefficients = cst.trig_basis(32).T @ x
    >>> print(np.flatnonzero(np.abs(coefficients) > 1e-12))   # only the constant, cos 1 and sin 1
    [ 0  1 31]
    >>> print(round(float(np.linalg.norm(x)), 12))
    1.0
    """
    n = _checks.positive_int(n, "n")
    p = _checks.positive_int(p, "p")
    if p > n:
        raise ValueError(f"p must be <= n = {n}, got {p}")
    host_rng = as_generator(rng)
    xp, dtype, device = resolve(xp, dtype, device)
    _check_size(n, f"smooth_signal(n={n}, p={p})", columns=p)
    coeffs = host_rng.standard_normal(p)
    x = _trig_columns(n, frequency_order(n)[:p]) @ coeffs
    x /= np.linalg.norm(x)
    return asarray(x, xp=xp, dtype=dtype, device=device)


#: Bundled scikit-image pictures usable offline, by name.
IMAGES = ("camera", "grass", "shepp_logan", "astronaut", "coins", "moon", "brick", "gravel")


def load_image(name, size=64, xp=None, dtype=None, device=None):
    """A bundled scikit-image picture as a grayscale (size, size) array in [0, 1].

    Nothing is downloaded: ``camera``, ``grass``, ``gravel``, ``brick``,
    ``coins``, ``moon`` and ``astronaut`` ship with scikit-image, and
    ``shepp_logan`` is its built-in phantom.  The image is converted to gray,
    cropped to a centred square and resized with anti-aliasing.

    Parameters
    ----------
    name : str
        One of :data:`IMAGES`.
    size : int or (int, int)
        Output shape: (size, size) for an int, else a pair (h, w).
    xp, dtype, device
        Namespace (default NumPy), dtype (default float64) and device of the result.

    Returns
    -------
    array, shape ``size``
        Gray levels scaled to [0, 1] (the minimum is 0, the maximum 1).

    Raises
    ------
    ValueError
        For a name not in :data:`IMAGES`.

    Examples
    --------
    >>> import cstheory as cst
    >>> img = cst.load_image("camera", size=32)
    >>> print(img.shape, float(img.min()), float(img.max()))
    (32, 32) 0.0 1.0
    """
    import skimage.data
    import skimage.transform
    from skimage.color import rgb2gray

    _checks.choice(name, IMAGES, "name")
    if isinstance(size, (tuple, list)):
        shape = _checks.shape_tuple(size, "size", lengths=(2,))
    else:
        shape = (_checks.positive_int(size, "size"),) * 2
    xp, dtype, device = resolve(xp, dtype, device)
    _checks.memory(_checks.nbytes(shape) * 8, f"load_image(size={size!r}): the resized image")
    if name == "shepp_logan":
        img = skimage.data.shepp_logan_phantom()
    else:
        img = getattr(skimage.data, name)()
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 3:
        img = rgb2gray(img[..., :3])
    h, w = img.shape
    s = min(h, w)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    img = skimage.transform.resize(img, shape, anti_aliasing=True)
    img = (img - img.min()) / max(img.max() - img.min(), 1e-12)
    return asarray(img, xp=xp, dtype=dtype, device=device)
