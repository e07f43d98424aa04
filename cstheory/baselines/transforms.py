"""Linear transforms of images (floor 5): finite differences and TV, the periodic Laplacian's symbol, Haar.

* :func:`gradient` ∇ (forward differences, Neumann or periodic) and its adjoint :func:`gradient_adjoint`,
  :func:`total_variation`, and :func:`laplacian_symbol`, the Fourier symbol of the periodic ∇ᵀ∇;
* the orthonormal multi-level 2-D Haar transform :func:`haar2` (Mallat layout, :func:`haar_plan`)
  and its inverse = adjoint :func:`ihaar2`.

The unchecked twins (:func:`grad`, :func:`grad_t`, :func:`tv_of`, :func:`haar_forward`,
:func:`haar_inverse`, :func:`plan_of`) are what the solvers call inside their loops.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _checks
from .._backend import fft2, ifft2, namespace, resolve
from .core import check_boundary, check_levels, device

__all__ = ["gradient", "gradient_adjoint", "total_variation", "laplacian_symbol", "haar_plan", "haar2", "ihaar2"]


def grad(x, boundary):
    """:func:`gradient` without the checks; a complex image (2, h, w) gives the field (4, h, w) [∇x_re; ∇x_im]."""
    xp = namespace(x)
    if x.ndim == 3:
        return xp.concat([grad(x[0, ...], boundary), grad(x[1, ...], boundary)])
    if boundary == "periodic":
        return xp.stack([xp.roll(x, -1, axis=0) - x, xp.roll(x, -1, axis=1) - x])
    h, w = x.shape
    z_row = xp.zeros((1, w), dtype=x.dtype, device=device(x))
    z_col = xp.zeros((h, 1), dtype=x.dtype, device=device(x))
    g0 = xp.concat([x[1:, :] - x[:-1, :], z_row], axis=0)
    g1 = xp.concat([x[:, 1:] - x[:, :-1], z_col], axis=1)
    return xp.stack([g0, g1])


def grad_t(field, boundary):
    """:func:`gradient_adjoint` without the checks; a field (4, h, w) of a complex image gives (2, h, w)."""
    xp = namespace(field)
    if field.shape[0] == 4:
        return xp.stack([grad_t(field[:2, ...], boundary), grad_t(field[2:, ...], boundary)])
    if boundary == "periodic":
        return (xp.roll(field[0, ...], 1, axis=0) - field[0, ...]) + (xp.roll(field[1, ...], 1, axis=1) - field[1, ...])
    _, h, w = field.shape
    q0 = field[0, :-1, :]          # the entries ∇ can produce (last row is always 0)
    q1 = field[1, :, :-1]
    z_row = xp.zeros((1, w), dtype=field.dtype, device=device(field))
    z_col = xp.zeros((h, 1), dtype=field.dtype, device=device(field))
    a0 = xp.concat([z_row, q0], axis=0) - xp.concat([q0, z_row], axis=0)
    a1 = xp.concat([z_col, q1], axis=1) - xp.concat([q1, z_col], axis=1)
    return a0 + a1


def gradient(x, boundary="neumann"):
    """Forward differences ∇x of an (h, w) image, shape (2, h, w).

    ∇x[0, i, j] = x[i+1, j] − x[i, j] and ∇x[1, i, j] = x[i, j+1] − x[i, j], with
    ``boundary="neumann"``: 0 on the last row (column); ``"periodic"``: indices
    modulo h (w), so the last row holds x[0, j] − x[h−1, j].  ‖∇‖² ≤ 8 for both.

    Parameters
    ----------
    x : array (h, w)
        Real, finite, any backend.
    boundary : {"neumann", "periodic"}
        The boundary condition.

    Returns
    -------
    array (2, h, w)
        The vertical and the horizontal differences, same dtype and backend as ``x``.

    Raises
    ------
    TypeError
        For an ``x`` that is not a real floating array, or a non-string ``boundary``.
    ValueError
        For an ``x`` that is not 2-D, empty or has NaN/inf, or an unknown ``boundary``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import gradient
    >>> ramp = np.tile(np.arange(4.0), (3, 1))       # x[i, j] = j
    >>> g = gradient(ramp)
    >>> print(g[1])                                  # slope 1, and 0 across the last column (Neumann)
    [[1. 1. 1. 0.]
     [1. 1. 1. 0.]
     [1. 1. 1. 0.]]
    >>> print(gradient(ramp, "periodic")[1, 0])      # periodic: x[i, 0] − x[i, 3] = −3 wraps around
    [ 1.  1.  1. -3.]
    """
    _checks.array(x, "x", ndim=2)
    return grad(x, check_boundary(boundary))


def gradient_adjoint(field, boundary="neumann"):
    """∇ᵀ field (minus the discrete divergence) of a vector field of shape (2, h, w), for the same ``boundary``.

    Parameters
    ----------
    field : array (2, h, w)
        Real, finite, any backend.
    boundary : {"neumann", "periodic"}
        The boundary condition of the :func:`gradient` it is the adjoint of.

    Returns
    -------
    array (h, w)
        ∇ᵀ field, with ⟨∇x, field⟩ = ⟨x, ∇ᵀ field⟩ for every x.

    Raises
    ------
    TypeError
        For a ``field`` that is not a real floating array, or a non-string ``boundary``.
    ValueError
        For a ``field`` not of shape (2, h, w), with NaN/inf, or an unknown ``boundary``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import gradient, gradient_adjoint
    >>> rng = np.random.default_rng(0)
    >>> x, field = rng.standard_normal((5, 7)), rng.standard_normal((2, 5, 7))
    >>> for b in ("neumann", "periodic"):              # adjointness, ⟨∇x, f⟩ − ⟨x, ∇ᵀf⟩
    ...     print(b, abs(np.sum(gradient(x, b) * field) - np.sum(x * gradient_adjoint(field, b))) < 1e-12)
    neumann True
    periodic True
    """
    _checks.array(field, "field", ndim=3)
    if field.shape[0] != 2:
        raise ValueError(f"field must have shape (2, h, w) (a vector per pixel), got {tuple(field.shape)}")
    return grad_t(field, check_boundary(boundary))


def tv_of(g, isotropic=True):
    """TV of a gradient field g (2, h, w): Σ‖g_ij‖₂ (isotropic) or Σ|g| (unchecked).

    The field (4, h, w) of a complex image groups the four differences of a pixel:
    Σ_ij √(|∇x_re|² + |∇x_im|²)_ij (isotropic)."""
    xp = namespace(g)
    if isotropic:
        return float(xp.sum(field_norm(g)))
    return float(xp.sum(xp.abs(g)))


def field_norm(g):
    """‖g_ij‖₂ over the leading axis (2 components, or 4 for a complex image's gradient), shape (h, w)."""
    xp = namespace(g)
    if g.shape[0] == 2:
        return xp.sqrt(g[0, ...] * g[0, ...] + g[1, ...] * g[1, ...])
    return xp.sqrt(xp.sum(g * g, axis=0))


def channelwise(transform, x):
    """``transform`` of an (h, w) image, or of each channel of a complex image (2, h, w) (unchecked)."""
    if x.ndim == 3:
        return namespace(x).stack([transform(x[0, ...]), transform(x[1, ...])])
    return transform(x)


def fourier(x):
    """The orthonormal 2-D DFT of a real image (h, w), or of x_re + i x_im for a complex one (2, h, w)."""
    if x.ndim == 3:
        xp = namespace(x)
        cdt = xp.complex64 if x.dtype == xp.float32 else xp.complex128
        unit = xp.asarray(1j, dtype=cdt, device=device(x))
        return fft2(xp.astype(x[0, ...], cdt) + unit * xp.astype(x[1, ...], cdt))
    return fft2(x)


def inverse_fourier(X, complex_image):
    """The inverse of :func:`fourier`: Re F^H X (h, w), or [Re; Im] of F^H X (2, h, w) for a complex image."""
    xp = namespace(X)
    z = ifft2(X)
    return xp.stack([xp.real(z), xp.imag(z)]) if complex_image else xp.real(z)


def total_variation(x, isotropic=True, boundary="neumann"):
    """TV(x) = Σ_ij ‖∇x_ij‖₂ (isotropic) or Σ_ij |∇x_ij|₁ (anisotropic), ∇ of :func:`gradient`.

    Parameters
    ----------
    x : array (h, w)
        Real, finite, any backend.
    isotropic : bool
        The Euclidean norm of each pixel's gradient (default) or the sum of the absolute differences.
    boundary : {"neumann", "periodic"}
        The boundary condition of ∇.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        For an ``x`` that is not a real floating array, a non-bool ``isotropic``, a non-string ``boundary``.
    ValueError
        For an ``x`` that is not 2-D, empty or has NaN/inf, or an unknown ``boundary``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import total_variation
    >>> x = np.zeros((4, 6))
    >>> x[:, 3:] = 2.0                                    # a vertical edge of height 2, 4 rows long
    >>> print(total_variation(x), total_variation(x, boundary="periodic"))   # periodic: it wraps, twice
    8.0 16.0
    """
    _checks.array(x, "x", ndim=2)
    isotropic = _checks.flag(isotropic, "isotropic")
    return tv_of(grad(x, check_boundary(boundary)), isotropic)


def laplacian_symbol(shape, xp=None, dtype=None, device=None):
    """Eigenvalues of ∇ᵀ∇ (periodic) in the unshifted 2-D DFT layout: 4 sin²(π k/h) + 4 sin²(π l/w).

    ∇ᵀ∇ is the circulant 5-point Laplacian −Δ; e^{2πi(jk/h + j'l/w)} is its
    eigenvector with eigenvalue |e^{2πik/h} − 1|² + |e^{2πil/w} − 1|².
    Computed in float64 on the host, then converted.

    Parameters
    ----------
    shape : (int, int)
        The image shape (h, w).
    xp : namespace or str, optional
        Backend of the result (default NumPy).
    dtype : {None, "float32", "float64"} or such a dtype
        Default float64.
    device : optional
        Device of the result.

    Returns
    -------
    array (h, w)
        Λ, with ∇ᵀ∇ x = Re F^H (Λ ⊙ F x); 0 ≤ Λ ≤ 8, Λ[0, 0] = 0.

    Raises
    ------
    TypeError
        For a shape that is not a pair of integers, an unknown kind of ``xp``.
    ValueError
        For non-positive entries, a shape whose array would not fit in memory, an unknown
        ``xp`` name, a dtype other than float32/float64.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import gradient, gradient_adjoint, laplacian_symbol
    >>> x = np.random.default_rng(0).standard_normal((4, 6))
    >>> lhs = gradient_adjoint(gradient(x, "periodic"), "periodic")
    >>> rhs = np.real(np.fft.ifft2(laplacian_symbol((4, 6)) * np.fft.fft2(x)))
    >>> print(np.abs(lhs - rhs).max() < 1e-12, laplacian_symbol((4, 6)).max())   # the symbol; ‖∇‖² = 8
    True 8.0
    """
    h, w = _checks.shape_tuple(shape, "shape", lengths=(2,), int_ok=False)
    _checks.memory(_checks.nbytes((h, w)) * 3, f"laplacian_symbol(shape={(h, w)})")
    if xp is not None or dtype is not None:
        xp, dtype, device = resolve(xp, dtype, device)
    k = np.sin(np.pi * np.arange(h) / h) ** 2
    l_ = np.sin(np.pi * np.arange(w) / w) ** 2
    out = 4.0 * (k[:, None] + l_[None, :])
    if xp is None:
        return out
    return xp.asarray(out, dtype=dtype, device=device)


def plan_of(h, w, levels):
    """:func:`haar_plan` without the checks."""
    plan = []
    a, b = h, w
    while levels is None or len(plan) < levels:
        d0, d1 = a % 2 == 0 and a >= 2, b % 2 == 0 and b >= 2
        if not (d0 or d1):
            break
        plan.append((a, b, d0, d1))
        a, b = (a // 2 if d0 else a), (b // 2 if d1 else b)
    return plan


def haar_plan(shape, levels=None):
    """The block sizes of the multi-level 2-D Haar transform of an (h, w) image.

    Level ℓ transforms the top-left (a, b) block of approximation
    coefficients along axis 0 if a is even and along axis 1 if b is even (an
    odd side is left as it is), halving those sides.  ``levels=None`` goes on
    while a side can be halved.

    Parameters
    ----------
    shape : (int, int)
        The image shape (h, w).
    levels : int, optional
        At most this many levels (≥ 0); ``None``: as many as the sides allow.

    Returns
    -------
    list of (int, int, bool, bool)
        Per level (a, b, along0, along1): the block transformed and the axes halved.

    Raises
    ------
    TypeError
        For a shape that is not a pair of integers, a non-integer ``levels``.
    ValueError
        For non-positive entries of ``shape``, a negative ``levels``.

    Examples
    --------
    >>> from cstheory.baselines import haar_plan
    >>> for a, b, d0, d1 in haar_plan((12, 8)):      # the even sides halve: 12×8 → 6×4 → 3×2 → 3×1
    ...     print(a, b, d0, d1)
    12 8 True True
    6 4 True True
    3 2 False True
    """
    h, w = _checks.shape_tuple(shape, "shape", lengths=(2,), int_ok=False)
    return plan_of(h, w, check_levels(levels))


def _haar_axis(x, axis):
    """One orthonormal Haar step along ``axis``: [(x_even + x_odd)/√2 ; (x_even − x_odd)/√2]."""
    xp = namespace(x)
    r = 1.0 / math.sqrt(2.0)
    if axis == 0:
        e, o = x[0::2, :], x[1::2, :]
    else:
        e, o = x[:, 0::2], x[:, 1::2]
    return xp.concat([(e + o) * r, (e - o) * r], axis=axis)


def _ihaar_axis(c, axis):
    """Inverse of :func:`_haar_axis`: interleave (s + d)/√2 and (s − d)/√2."""
    xp = namespace(c)
    r = 1.0 / math.sqrt(2.0)
    half = c.shape[axis] // 2
    if axis == 0:
        s, d = c[:half, :], c[half:, :]
        return xp.reshape(xp.stack([(s + d) * r, (s - d) * r], axis=1), (2 * half, c.shape[1]))
    s, d = c[:, :half], c[:, half:]
    return xp.reshape(xp.stack([(s + d) * r, (s - d) * r], axis=2), (c.shape[0], 2 * half))


def _replace_block(x, block):
    """x with its top-left block replaced (array-API: by concatenation, no in-place writes)."""
    xp = namespace(x)
    a, b = block.shape
    top = xp.concat([block, x[:a, b:]], axis=1) if b < x.shape[1] else block
    return xp.concat([top, x[a:, :]], axis=0) if a < x.shape[0] else top


def haar_forward(x, levels=None):
    """:func:`haar2` without the checks."""
    for a, b, d0, d1 in plan_of(x.shape[0], x.shape[1], levels):
        block = x[:a, :b]
        if d0:
            block = _haar_axis(block, 0)
        if d1:
            block = _haar_axis(block, 1)
        x = _replace_block(x, block)
    return x


def haar_inverse(c, levels=None):
    """:func:`ihaar2` without the checks."""
    for a, b, d0, d1 in reversed(plan_of(c.shape[0], c.shape[1], levels)):
        block = c[:a, :b]
        if d1:
            block = _ihaar_axis(block, 1)
        if d0:
            block = _ihaar_axis(block, 0)
        c = _replace_block(c, block)
    return c


def haar2(x, levels=None):
    """Orthonormal multi-level 2-D Haar analysis Ψ x of an (h, w) image (Mallat layout, :func:`haar_plan`).

    Each step maps a pair (x_even, x_odd) to ((x_even + x_odd)/√2, (x_even − x_odd)/√2), a rotation,
    so Ψ is orthonormal: Ψᵀ = Ψ⁻¹ = :func:`ihaar2`.  Any h and w (an odd side is not split further).

    Parameters
    ----------
    x : array (h, w)
        Real, finite, any backend.
    levels : int, optional
        Number of levels (≥ 0; default: as many as the sides allow).

    Returns
    -------
    array (h, w)
        The coefficients: the coarsest approximation at the top left, details around it.

    Raises
    ------
    TypeError
        For an ``x`` that is not a real floating array, a non-integer ``levels``.
    ValueError
        For an ``x`` that is not 2-D, empty or has NaN/inf, a negative ``levels``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import haar2
    >>> n = (6, 4)                                   # the matrix of Ψ, column by column
    >>> W = np.stack([haar2(e.reshape(n)).ravel() for e in np.eye(24)], axis=1)
    >>> print(np.abs(W.T @ W - np.eye(24)).max() < 1e-15)   # orthonormal: ΨᵀΨ = I
    True
    >>> print(haar2(np.full((8, 8), 3.0))[0, 0])      # a constant: one coefficient, 3 · √64
    24.0
    """
    _checks.array(x, "x", ndim=2)
    return haar_forward(x, check_levels(levels))


def ihaar2(c, levels=None):
    """Inverse (= adjoint) of :func:`haar2`: the synthesis Ψᵀ c.

    Parameters
    ----------
    c : array (h, w)
        Haar coefficients (layout of :func:`haar2`), real, finite.
    levels : int, optional
        The ``levels`` the coefficients were computed with.

    Returns
    -------
    array (h, w)
        The image Ψᵀ c.

    Raises
    ------
    TypeError
        For a ``c`` that is not a real floating array, a non-integer ``levels``.
    ValueError
        For a ``c`` that is not 2-D, empty or has NaN/inf, a negative ``levels``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import haar2, ihaar2
    >>> x = np.random.default_rng(0).standard_normal((12, 10))
    >>> print(np.abs(ihaar2(haar2(x)) - x).max() < 1e-14, np.abs(ihaar2(haar2(x, 1), 1) - x).max() < 1e-14)
    True True
    """
    _checks.array(c, "c", ndim=2)
    return haar_inverse(c, check_levels(levels))
