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


# ---------------------------------------------------------------------------
# Subsampled 2-D Fourier measurements and k-space masks (Sec. 5, MRI)
# ---------------------------------------------------------------------------
#
# k-space layout: every mask below uses the *unshifted* layout of ``fft2``
# (the DC coefficient at index [0, 0], frequency index j ↔ j for j < s/2 and
# j − s above).  Display a mask or k-space with ``numpy.fft.fftshift``.

from ._backend import fft2 as _fft2, get_namespace as _get_namespace, ifft2 as _ifft2, resolve as _resolve  # noqa: E402

MASK_DENSITIES = ("variable", "uniform")


def _image_shape(shape, name="shape"):
    if isinstance(shape, (int, np.integer)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise ValueError(f"{name} must be a pair (h, w) of positive integers, got {shape!r}")
    return tuple(_checks.positive_int(s, name) for s in shape)


def kspace_distance(s):
    """|frequency index| of each position of a length-``s`` FFT axis: min(j, s − j) (host array)."""
    j = np.arange(_checks.positive_int(s, "s"))
    return np.minimum(j, s - j)


def _centre_first(s):
    """Positions of a length-``s`` FFT axis ordered from the DC outwards: 0, 1, s−1, 2, s−2, …"""
    return np.argsort(kspace_distance(s), kind="stable")


def _mask_args(acceleration, center_fraction, density, decay):
    acceleration = _checks.positive_float(acceleration, "acceleration")
    if acceleration < 1.0:
        raise ValueError(f"acceleration must be >= 1 (1 = fully sampled), got {acceleration}")
    if center_fraction is None:
        center_fraction = 0.32 / acceleration
    center_fraction = _checks.positive_float(center_fraction, "center_fraction")
    if center_fraction > 1.0:
        raise ValueError(f"center_fraction must be in (0, 1], got {center_fraction}")
    if density not in MASK_DENSITIES:
        raise ValueError(f"density must be one of {MASK_DENSITIES}, got {density!r}")
    decay = _checks.positive_float(decay, "decay", allow_zero=True)
    return acceleration, center_fraction, decay


def _density_weights(r, decay):
    """Polynomial variable density p ∝ (1 − r)^decay for normalised distances r ∈ [0, 1)."""
    return (1.0 - r) ** decay


def _mask_to(mask, xp, device):
    xp = _get_namespace(xp)
    if device is None:
        return xp.asarray(mask, dtype=xp.bool)
    return xp.asarray(mask, dtype=xp.bool, device=device)


def cartesian_mask(shape, acceleration, center_fraction=None, density="variable", decay=2.0,
                   rng=0, xp=None, device=None):
    """Cartesian undersampling mask: whole k-space columns (phase-encoding lines).

    A sampled line is a full column ``mask[:, j]`` (all read-out frequencies
    of one phase-encoding step), as in single-coil Cartesian MRI and the
    fastMRI masks.  Of the ``w`` columns, ``round(w / acceleration)`` are
    kept:

    * the ``max(1, round(center_fraction · w))`` lowest frequencies (the
      fully sampled centre, which carries most of the image energy);
    * the rest drawn at random without replacement among the other columns,
      with probability ∝ (1 − |k| / (w/2 + 1))^decay for ``density="variable"``
      (|k| the column's frequency index; more lines near the centre) or
      uniform for ``density="uniform"``.

    Parameters
    ----------
    shape : (int, int)
        Image / k-space shape (h, w).
    acceleration : float
        Undersampling factor R ≥ 1 (4 and 8 in Sec. 5); the achieved factor is
        ``w / round(w / R)``.
    center_fraction : float, optional
        Fraction of columns in the fully sampled centre; default 0.32 / R
        (0.08 at 4×, 0.04 at 8×, the fastMRI choice).
    density : {"variable", "uniform"}
    decay : float
        Exponent of the variable density (0 gives uniform).
    rng : int or numpy.random.Generator
        Drawn on the host, so one seed gives the same mask on every backend.
    xp, device
        Where the boolean mask is returned.

    Returns
    -------
    mask : (h, w) boolean array in the unshifted FFT layout (DC at [0, 0]).
    """
    h, w = _image_shape(shape)
    acceleration, center_fraction, decay = _mask_args(acceleration, center_fraction, density, decay)
    n_lines = max(1, int(round(w / acceleration)))
    n_centre = max(1, int(round(center_fraction * w)))
    if n_centre > n_lines:
        raise ValueError(
            f"center_fraction={center_fraction} asks for {n_centre} centre lines but acceleration={acceleration} "
            f"allows only {n_lines} of {w}; lower center_fraction"
        )
    order = _centre_first(w)
    chosen = list(order[:n_centre])
    rest = order[n_centre:]
    if n_lines > n_centre:
        if density == "uniform" or decay == 0.0:
            p = np.ones(rest.size)
        else:
            p = _density_weights(kspace_distance(w)[rest] / (w / 2.0 + 1.0), decay)
        chosen += list(as_generator(rng).choice(rest, size=n_lines - n_centre, replace=False, p=p / p.sum()))
    mask = np.zeros((h, w), dtype=bool)
    mask[:, np.asarray(chosen, dtype=np.int64)] = True
    return _mask_to(mask, xp, device)


def random_mask(shape, acceleration, center_fraction=None, density="variable", decay=2.0,
                rng=0, xp=None, device=None):
    """2-D random undersampling mask: individual k-space locations.

    ``round(h·w / acceleration)`` locations are kept: a fully sampled centre
    block (the ``max(1, round(center_fraction · s))`` lowest frequencies along
    each axis s ∈ {h, w}) and the rest drawn without replacement with
    probability ∝ (1 − r)^decay, r = ‖(k_y/(h/2+1), k_x/(w/2+1))‖/√2 the
    normalised radial frequency (``density="variable"``), or uniformly.

    Parameters are those of :func:`cartesian_mask`; the default
    ``center_fraction`` is again 0.32 / acceleration (per axis).

    Returns
    -------
    mask : (h, w) boolean array in the unshifted FFT layout (DC at [0, 0]).
    """
    h, w = _image_shape(shape)
    acceleration, center_fraction, decay = _mask_args(acceleration, center_fraction, density, decay)
    n_total = max(1, int(round(h * w / acceleration)))
    ch = max(1, int(round(center_fraction * h)))
    cw = max(1, int(round(center_fraction * w)))
    if ch * cw > n_total:
        raise ValueError(
            f"center_fraction={center_fraction} asks for a {ch}x{cw} centre but acceleration={acceleration} "
            f"allows only {n_total} samples; lower center_fraction"
        )
    mask = np.zeros((h, w), dtype=bool)
    mask[np.ix_(_centre_first(h)[:ch], _centre_first(w)[:cw])] = True
    rest = np.flatnonzero(~mask)
    if n_total > ch * cw:
        if density == "uniform" or decay == 0.0:
            p = np.ones(rest.size)
        else:
            ry = kspace_distance(h)[:, None] / (h / 2.0 + 1.0)
            rx = kspace_distance(w)[None, :] / (w / 2.0 + 1.0)
            r = np.sqrt(ry**2 + rx**2) / math.sqrt(2.0)
            p = _density_weights(r.reshape(-1)[rest], decay)
        pick = as_generator(rng).choice(rest, size=n_total - ch * cw, replace=False, p=p / p.sum())
        mask.reshape(-1)[pick] = True
    return _mask_to(mask, xp, device)


def centre_mask(shape, center_fraction, lines=True):
    """Host boolean mask of the fully sampled centre that :func:`cartesian_mask` (``lines=True``)
    or :func:`random_mask` (``lines=False``) always include, for tests and plots."""
    h, w = _image_shape(shape)
    center_fraction = _checks.positive_float(center_fraction, "center_fraction")
    mask = np.zeros((h, w), dtype=bool)
    cw = max(1, int(round(center_fraction * w)))
    if lines:
        mask[:, _centre_first(w)[:cw]] = True
    else:
        ch = max(1, int(round(center_fraction * h)))
        mask[np.ix_(_centre_first(h)[:ch], _centre_first(w)[:cw])] = True
    return mask


class SubsampledFourier(LinearOperator):
    """Undersampled single-coil MRI: orthonormal 2-D DFT, then keep the sampled k-space locations.

    For an image x ∈ R^{h×w} (flattened row-major to R^n, n = h·w) and a mask
    with m sampled locations Ω, the complex measurements are
    (F x)_Ω ∈ C^m with F the orthonormal 2-D DFT (``norm="ortho"``): a
    measurement matrix A with subsampled rows of the Fourier matrix (Sec. 5).

    **Real and imaginary parts.**  :func:`cstheory.fit` and the baselines use
    only ``A @ x`` and ``A.T @ r`` on *real* arrays, so the operator is the
    real-linear map R^n → R^{2m}

        A x = [Re (F x)_Ω ; Im (F x)_Ω],

    and its adjoint over the reals, for r = [r_re; r_im] ∈ R^{2m}, is

        Aᵀ r = Re( F^H P_Ωᵀ (r_re + i r_im) ),

    the real part of the zero-filled inverse DFT (P_Ωᵀ puts the m values at
    their k-space locations and zeros elsewhere).  Indeed, writing z = (F x)_Ω
    and c = r_re + i r_im,

        ⟨A x, r⟩ = Σ Re z Re c + Im z Im c = Re ⟨c, z⟩_C = Re ⟨F^H P_Ωᵀ c, x⟩_C
                 = ⟨Re(F^H P_Ωᵀ c), x⟩          (x real),

    so ⟨A x, r⟩ = ⟨x, Aᵀ r⟩ holds exactly over the reals, the loss ½‖A x − y‖²
    equals ½‖(F x)_Ω − y_C‖² of the complex data, and its gradient is
    Aᵀ(A x − y).  Since F is unitary, ‖A‖ ≤ 1, with equality when the DC
    coefficient is sampled (a constant image keeps its whole energy).

    Parameters
    ----------
    shape : (int, int)
        Image shape (h, w).
    mask : (h, w) array (bool or 0/1) of any backend
        Sampled k-space locations in the unshifted ``fft2`` layout, e.g. from
        :func:`cartesian_mask` or :func:`random_mask`.
    xp, dtype, device
        Namespace, real dtype and device of the operator's arrays; by default
        the namespace and device of ``mask`` and float64.

    Notes
    -----
    Inputs ``x`` may be flat (h·w,) or (h, w); ``A.T @ r`` returns flat (h·w,).
    Sampling uses a flat index array with ``xp.take``; the zero-filling of
    the adjoint is a gather too (each k-space position reads its measurement,
    or an appended zero), so only the array API standard is used.
    """

    def __init__(self, shape, mask, xp=None, dtype=None, device=None):
        h, w = self.image_shape = _image_shape(shape)
        _checks.array(mask, "mask", ndim=2, finite=False)
        _checks.shape(mask, (h, w), "mask")
        host = to_numpy(mask)
        if host.dtype != np.bool_:
            if not np.all((host == 0) | (host == 1)):
                raise ValueError("mask must be boolean or hold only 0 and 1")
            host = host.astype(bool)
        if xp is None:
            xp = namespace(mask)
            if device is None:
                device = array_api_compat.device(mask)
        self.xp, self.dtype, self.device = _resolve(xp, dtype, device)
        flat = host.reshape(-1)
        idx = np.flatnonzero(flat)
        if idx.size == 0:
            raise ValueError("mask samples no k-space location; at least one entry must be True")
        m = int(idx.size)
        # gather index of the adjoint: position j reads measurement inv[j], or the zero appended at m
        inv = np.full(h * w, m, dtype=np.int64)
        inv[idx] = np.arange(m)
        self.num_samples = m
        self.shape = (2 * m, h * w)
        self.mask = _mask_to(host, self.xp, self.device)
        self._index = asarray(idx.astype(np.int64), xp=self.xp, dtype=self.xp.int64, device=self.device)
        self._scatter = asarray(inv, xp=self.xp, dtype=self.xp.int64, device=self.device)

    @property
    def acceleration(self) -> float:
        """Achieved undersampling factor h·w / m."""
        return (self.image_shape[0] * self.image_shape[1]) / self.num_samples

    def _complex_dtype(self):
        return self.xp.complex64 if self.dtype == self.xp.float32 else self.xp.complex128

    def _check_image(self, x, name="x"):
        h, w = self.image_shape
        _checks.array(x, name, ndim=(1, 2), finite=False)
        if tuple(x.shape) not in ((h * w,), (h, w)):
            raise ValueError(f"{name} must have shape ({h * w},) or ({h}, {w}), got {tuple(x.shape)}")
        return self.xp.reshape(x, (h, w))

    def kspace(self, x):
        """The complex sampled coefficients (F x)_Ω ∈ C^m (in the order of the flat mask)."""
        xp = self.xp
        k = _fft2(self._check_image(x), norm="ortho")
        return xp.take(xp.reshape(k, (-1,)), self._index)

    def matvec(self, x):
        """A x = [Re (F x)_Ω ; Im (F x)_Ω] ∈ R^{2m}."""
        xp = self.xp
        z = self.kspace(x)
        return xp.concat([xp.real(z), xp.imag(z)])

    def to_complex(self, r):
        """r = [r_re; r_im] ∈ R^{2m} → r_re + i r_im ∈ C^m."""
        xp = self.xp
        m = self.num_samples
        _checks.array(r, "r", ndim=1, finite=False)
        if r.shape[0] != 2 * m:
            raise ValueError(f"r must have length 2m = {2 * m}, got {r.shape[0]}")
        cdt = self._complex_dtype()
        unit = xp.asarray(1j, dtype=cdt) if self.device is None else xp.asarray(1j, dtype=cdt, device=self.device)
        return xp.astype(r[:m], cdt) + unit * xp.astype(r[m:], cdt)

    def zero_filled_kspace(self, r):
        """The (h, w) complex k-space with the measurements at Ω and zeros elsewhere (P_Ωᵀ c)."""
        xp = self.xp
        c = self.to_complex(r)
        padded = xp.concat([c, xp.zeros((1,), dtype=c.dtype, device=self.device)])
        return xp.reshape(xp.take(padded, self._scatter), self.image_shape)

    def rmatvec(self, r):
        """Aᵀ r = Re(F^H P_Ωᵀ (r_re + i r_im)), flat (h·w,)."""
        xp = self.xp
        img = _ifft2(self.zero_filled_kspace(r), norm="ortho")
        return xp.reshape(xp.real(img), (-1,))

    def zero_filled(self, y, part="magnitude"):
        """Zero-filled inverse DFT F^H P_Ωᵀ y of measurements ``y`` (length 2m), as an (h, w) image.

        ``part="magnitude"`` (default) returns |·|, the usual MRI display and
        the classical "zero-filled" reconstruction; ``part="real"`` returns the
        real part, which is exactly ``(A.T @ y)`` reshaped (the adjoint).
        """
        xp = self.xp
        if part not in ("magnitude", "real"):
            raise ValueError(f"part must be 'magnitude' or 'real', got {part!r}")
        img = _ifft2(self.zero_filled_kspace(y), norm="ortho")
        return xp.abs(img) if part == "magnitude" else xp.real(img)


__all__ += ["SubsampledFourier", "cartesian_mask", "random_mask", "centre_mask", "kspace_distance",
            "MASK_DENSITIES"]


# ---------------------------------------------------------------------------
# A fast structured random operator for images too large for a dense Gaussian A
# ---------------------------------------------------------------------------
from ._backend import dct as _dct, idct as _idct  # noqa: E402


class RandomSubsampledDCT(LinearOperator):
    """Structured random measurements A = √(n/m) · S · D · diag(s) with O(n log n) products.

    ``diag(s)`` flips the signs of the entries at random (s_j = ±1), ``D`` is
    the orthonormal DCT-II (1-D for a length n, separable 2-D for a shape
    (h, w)), and ``S`` keeps m of its n outputs, chosen uniformly at random
    without replacement.  The random signs spread the energy of any fixed x
    evenly over the DCT coefficients, so the subset sees the fraction m/n of
    it and the factor √(n/m) restores the norm:

        E‖A x‖² = (n/m) · (m/n) ‖D diag(s) x‖² = ‖x‖²,

    the same normalisation as the N(0, 1/m) Gaussian matrix of
    :func:`gaussian_matrix` (Sec. 3), at O(n log n) cost instead of O(mn)
    and without storing an m × n matrix.  The adjoint is
    Aᵀ r = √(n/m) · diag(s) · Dᵀ · Sᵀ r with Dᵀ = D⁻¹ the inverse DCT and Sᵀ
    zero-filling (a gather from r with an appended zero).  A Aᵀ = (n/m) I.

    Parameters
    ----------
    m : int
        Number of measurements, 1 ≤ m ≤ n.
    n_or_shape : int or (int, int)
        Signal length n, or an image shape (h, w) (n = h·w, inputs flattened row-major).
    rng : int or numpy.random.Generator
        Seed of the signs and the rows (drawn on the host: one seed, one operator on every backend).
    xp, dtype, device
        Namespace (default NumPy), real dtype (default float64) and device.
    """

    def __init__(self, m, n_or_shape, rng=0, xp=None, dtype=None, device=None):
        if isinstance(n_or_shape, (tuple, list)):
            if len(n_or_shape) not in (1, 2):
                raise ValueError(f"n_or_shape must be an int n or a shape (h, w), got {n_or_shape!r}")
            self.signal_shape = tuple(_checks.positive_int(s, "n_or_shape") for s in n_or_shape)
        else:
            self.signal_shape = (_checks.positive_int(n_or_shape, "n_or_shape"),)
        n = math.prod(self.signal_shape)
        m = _checks.positive_int(m, "m")
        if m > n:
            raise ValueError(f"m must be at most n = {n}, got {m}")
        self.xp, self.dtype, self.device = _resolve(xp, dtype, device)
        gen = as_generator(rng)
        signs = gen.choice(np.array([-1.0, 1.0]), size=n)
        rows = np.sort(gen.choice(n, size=m, replace=False))
        inv = np.full(n, m, dtype=np.int64)
        inv[rows] = np.arange(m)
        self.shape = (m, n)
        self.scale = math.sqrt(n / m)
        self.signs = asarray(signs, xp=self.xp, dtype=self.dtype, device=self.device)
        self.rows = asarray(rows, xp=self.xp, dtype=self.xp.int64, device=self.device)
        self._scatter = asarray(inv, xp=self.xp, dtype=self.xp.int64, device=self.device)

    def matvec(self, x):
        """A x ∈ R^m for x of shape (n,) or ``signal_shape``."""
        xp = self.xp
        n = self.shape[1]
        _checks.array(x, "x", finite=False)
        if tuple(x.shape) not in ((n,), self.signal_shape):
            raise ValueError(f"x must have shape ({n},) or {self.signal_shape}, got {tuple(x.shape)}")
        z = xp.reshape(self.signs * xp.reshape(x, (-1,)), self.signal_shape)
        c = xp.reshape(_dct(z), (-1,))
        return self.scale * xp.take(c, self.rows)

    def rmatvec(self, r):
        """Aᵀ r ∈ R^n (flat) for r of shape (m,)."""
        xp = self.xp
        m = self.shape[0]
        _checks.array(r, "r", ndim=1, finite=False)
        if r.shape[0] != m:
            raise ValueError(f"r must have length m = {m}, got {r.shape[0]}")
        padded = xp.concat([r, xp.zeros((1,), dtype=r.dtype, device=self.device)])
        full = xp.reshape(xp.take(padded, self._scatter), self.signal_shape)
        return self.scale * self.signs * xp.reshape(_idct(full), (-1,))


__all__ += ["RandomSubsampledDCT"]
