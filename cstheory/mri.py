"""Single-coil compressive-sensing MRI, Sec. 5 (floor 2), in one place.

* **k-space masks** — :func:`cartesian_mask` (phase-encoding lines) and
  :func:`random_mask` (points), variable density with a fully sampled centre;
* **the measurement operator** — :class:`SubsampledFourier`, the orthonormal
  2-D DFT sampled on a mask, as a real-linear :class:`cstheory.LinearOperator`
  A x = [Re (F x)_Ω ; Im (F x)_Ω];
* **data** — the Shepp–Logan phantom and natural images bundled with
  scikit-image, and k-space simulated from them (:func:`simulate_kspace`,
  :func:`mri_problem`), y = A x* + e with optional complex Gaussian noise at a
  stated signal-to-noise ratio;
* **metrics** — :func:`psnr` and :func:`ssim`.

Sec. 5 of the paper reconstructs images from 8-fold undersampled k-space of
the fastMRI set.  Nothing of fastMRI is assumed here: everything runs offline.

**The inverse crime.**  Rendering a phantom on the reconstruction grid and
simulating y = A x* with the very DFT that the reconstruction inverts hands
every method a pixel image with clean, anti-aliased edges — data no scanner
produces.  ``mri_problem(..., oversample=4)`` avoids it: the object is rendered
on a 4× finer grid and its k-space is cropped to the central frequencies
that the reconstruction grid represents (:func:`fourier_downsample`), as a
scanner samples the spectrum of a continuous object.  The reference x* is
then what a *fully sampled* scan reconstructs (the inverse DFT of all
those frequencies, the convention of fastMRI): it carries the Gibbs
ringing of truncated k-space at every edge.  (Compared instead with the
phantom averaged over each pixel, even the fully sampled reconstruction
scores only ≈ 20 dB on the 64² Shepp–Logan phantom: that would measure
the discretization, not the priors.)  The object is scaled so that x* spans
[0, 1].  With the default ``oversample=1`` the study commits the inverse crime.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import array_api_compat
import numpy as np

from ._repr import compact_repr
from . import _checks
from ._backend import as_generator, asarray, fft2, ifft2, namespace, resolve, resolve_namespace, to_numpy
from . import _numeric
from .operators import LinearOperator
from .signals import IMAGES, load_image

__all__ = ["cartesian_mask", "random_mask", "centre_mask", "kspace_distance", "MASK_DENSITIES",
           "SubsampledFourier", "phantom", "natural_image", "MRIProblem", "simulate_kspace", "mri_problem",
           "psnr", "ssim", "MASKS", "fourier_downsample"]

# ---------------------------------------------------------------------------
# k-space masks
# ---------------------------------------------------------------------------
# Every mask uses the *unshifted* layout of ``fft2`` (the DC coefficient at
# index [0, 0], frequency index j ↔ j for j < s/2 and j − s above).  Display a
# mask or k-space with ``numpy.fft.fftshift``.

MASK_DENSITIES = ("variable", "uniform")


def _image_shape(shape, name="shape"):
    """A pair (h, w) of positive integers: ``TypeError`` for an int or a non-tuple, ``ValueError`` otherwise."""
    return _checks.shape_tuple(shape, name, lengths=(2,), int_ok=False)


def kspace_distance(s):
    """|frequency index| of each position of a length-``s`` FFT axis: min(j, s − j) (host array).

    Examples
    --------
    >>> from cstheory.mri import kspace_distance
    >>> kspace_distance(8)
    array([0, 1, 2, 3, 4, 3, 2, 1])
    """
    s = _checks.positive_int(s, "s")
    _checks.memory(_checks.nbytes((s,)) * 3, f"kspace_distance(s={s})")
    j = np.arange(s)
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
    center_fraction = _checks.real(center_fraction, "center_fraction", low=0.0, high=1.0, low_open=True)
    _checks.choice(density, MASK_DENSITIES, "density")
    decay = _checks.positive_float(decay, "decay", allow_zero=True)
    return acceleration, center_fraction, decay


def _mask_setup(shape, acceleration, center_fraction, density, decay, rng, xp, what):
    """Validate every argument of a mask generator (before any work); return the checked values."""
    h, w = _image_shape(shape)
    acceleration, center_fraction, decay = _mask_args(acceleration, center_fraction, density, decay)
    host_rng = as_generator(rng)
    resolve_namespace(xp)
    _checks.memory(_checks.nbytes((h, w), itemsize=40), f"{what}(shape={shape!r}): the mask and its weights")
    return h, w, acceleration, center_fraction, decay, host_rng


def _density_weights(r, decay):
    """Log of the polynomial variable-density weights ∝ (1 − r)^decay for normalised distances r ∈ [0, 1)."""
    return decay * np.log1p(-np.asarray(r, dtype=np.float64))


def _draw_weighted(rng, items, size, log_w):
    """``size`` of ``items`` drawn without replacement with probabilities ∝ exp(log_w).

    Where the weights are representable (a dynamic range below e^600) this is NumPy's
    ``choice(..., replace=False, p=...)``; for a steeper density (``decay=1e4``), where
    the weights would underflow to zero, the same distribution is drawn in the log domain by
    keeping the ``size`` largest keys log wᵢ + Gumbelᵢ (sequential sampling without replacement,
    Efraimidis–Spirakis), so a steep density keeps the highest-weight items instead of failing."""
    log_w = log_w - log_w.max()
    if log_w.min() > -600.0:
        w = np.exp(log_w)
        return rng.choice(items, size=size, replace=False, p=w / w.sum())
    keys = log_w + rng.gumbel(size=log_w.shape)
    return items[np.argsort(-keys, kind="stable")[:size]]


def _mask_to(mask, xp, device):
    xp = resolve_namespace(xp)
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

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> mask = cst.cartesian_mask((8, 16), acceleration=4, rng=0)
    >>> print(mask.shape, int(mask.sum()), np.flatnonzero(mask.all(axis=0)))   # 4 whole columns of 16
    (8, 16) 32 [ 0  1  3 15]
    >>> print(bool(mask[:, 0].all()))                                          # the centre (DC) is sampled
    True
    """
    h, w, acceleration, center_fraction, decay, rng = _mask_setup(shape, acceleration, center_fraction, density,
                                                                   decay, rng, xp, "cartesian_mask")
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
            log_w = np.zeros(rest.size)
        else:
            log_w = _density_weights(kspace_distance(w)[rest] / (w / 2.0 + 1.0), decay)
        chosen += list(_draw_weighted(as_generator(rng), rest, n_lines - n_centre, log_w))
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

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> mask = cst.random_mask((16, 16), acceleration=4, rng=0)
    >>> print(int(mask.sum()), bool(mask[0, 0]))        # 256 / 4 locations, DC included
    64 True
    """
    h, w, acceleration, center_fraction, decay, rng = _mask_setup(shape, acceleration, center_fraction, density,
                                                                   decay, rng, xp, "random_mask")
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
            log_w = np.zeros(rest.size)
        else:
            ry = kspace_distance(h)[:, None] / (h / 2.0 + 1.0)
            rx = kspace_distance(w)[None, :] / (w / 2.0 + 1.0)
            r = np.sqrt(ry**2 + rx**2) / math.sqrt(2.0)
            log_w = _density_weights(r.reshape(-1)[rest], decay)
        pick = _draw_weighted(as_generator(rng), rest, n_total - ch * cw, log_w)
        mask.reshape(-1)[pick] = True
    return _mask_to(mask, xp, device)


def centre_mask(shape, center_fraction, lines=True):
    """Host boolean mask of the fully sampled centre that :func:`cartesian_mask` (``lines=True``)
    or :func:`random_mask` (``lines=False``) always include, for tests and plots.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.mri import centre_mask
    >>> print(np.flatnonzero(centre_mask((4, 8), 0.25)[0]))     # the 2 lowest frequencies: 0 and 1
    [0 1]
    """
    h, w = _image_shape(shape)
    center_fraction = _checks.real(center_fraction, "center_fraction", low=0.0, high=1.0, low_open=True)
    lines = _checks.flag(lines, "lines")
    _checks.memory(_checks.nbytes((h, w), itemsize=1), f"centre_mask(shape={shape!r})")
    mask = np.zeros((h, w), dtype=bool)
    cw = max(1, int(round(center_fraction * w)))
    if lines:
        mask[:, _centre_first(w)[:cw]] = True
    else:
        ch = max(1, int(round(center_fraction * h)))
        mask[np.ix_(_centre_first(h)[:ch], _centre_first(w)[:cw])] = True
    return mask


# ---------------------------------------------------------------------------
# the measurement operator
# ---------------------------------------------------------------------------
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

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.SubsampledFourier((8, 8), cst.cartesian_mask((8, 8), 4, rng=0))
    >>> print(A.shape, A.acceleration)              # [Re; Im] of 16 samples of 64
    (32, 64) 4.0
    >>> x, r = np.random.default_rng(0).standard_normal(64), np.random.default_rng(1).standard_normal(32)
    >>> print(abs(float(r @ (A @ x) - x @ (A.T @ r))) < 1e-12)     # the real adjoint is exact
    True
    >>> print(round(cst.operator_norm(A), 6))        # F is unitary and the DC is sampled: ‖A‖ = 1
    1.0
    """

    def __init__(self, shape, mask, xp=None, dtype=None, device=None):
        h, w = self.image_shape = _image_shape(shape)
        _checks.array(mask, "mask", ndim=2, dtype="mask")
        if tuple(mask.shape) != (h, w):
            raise ValueError(f"mask must have the image shape {(h, w)}, got {tuple(mask.shape)}")
        xp = None if xp is None else resolve_namespace(xp)
        host = to_numpy(mask)
        if host.dtype != np.bool_:
            if not np.all((host == 0) | (host == 1)):
                raise ValueError("mask must be boolean or hold only 0 and 1")
            host = host.astype(bool)
        if xp is None:
            xp = namespace(mask)
            if device is None:
                device = array_api_compat.device(mask)
        self.xp, self.dtype, self.device = resolve(xp, dtype, device)
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
        self.check_input(x, name)
        _checks.array(x, name, ndim=(1, 2), finite=False)
        if tuple(x.shape) not in ((h * w,), (h, w)):
            raise ValueError(f"{name} must have shape ({h * w},) or ({h}, {w}), got {tuple(x.shape)}")
        return self.xp.reshape(x, (h, w))

    def kspace(self, x):
        """The complex sampled coefficients (F x)_Ω ∈ C^m (in the order of the flat mask)."""
        xp = self.xp
        k = fft2(self._check_image(x), norm="ortho")
        return xp.take(xp.reshape(k, (-1,)), self._index)

    def matvec(self, x):
        """A x = [Re (F x)_Ω ; Im (F x)_Ω] ∈ R^{2m}."""
        xp = self.xp
        z = self.kspace(x)
        return xp.concat([xp.real(z), xp.imag(z)])

    def to_complex(self, r, name="r"):
        """r = [r_re; r_im] ∈ R^{2m} → r_re + i r_im ∈ C^m."""
        xp = self.xp
        m = self.num_samples
        self.check_input(r, name)
        _checks.array(r, name, ndim=1, finite=False)
        if r.shape[0] != 2 * m:
            raise ValueError(f"{name} must have length 2m = {2 * m}, got {r.shape[0]}")
        cdt = self._complex_dtype()
        unit = xp.asarray(1j, dtype=cdt) if self.device is None else xp.asarray(1j, dtype=cdt, device=self.device)
        return xp.astype(r[:m], cdt) + unit * xp.astype(r[m:], cdt)

    def zero_filled_kspace(self, r, name="r"):
        """The (h, w) complex k-space with the measurements at Ω and zeros elsewhere (P_Ωᵀ c)."""
        xp = self.xp
        c = self.to_complex(r, name)
        padded = xp.concat([c, xp.zeros((1,), dtype=c.dtype, device=self.device)])
        return xp.reshape(xp.take(padded, self._scatter), self.image_shape)

    def rmatvec(self, r):
        """Aᵀ r = Re(F^H P_Ωᵀ (r_re + i r_im)), flat (h·w,)."""
        xp = self.xp
        img = ifft2(self.zero_filled_kspace(r), norm="ortho")
        return xp.reshape(xp.real(img), (-1,))

    def zero_filled(self, y, part="magnitude"):
        """Zero-filled inverse DFT F^H P_Ωᵀ y of measurements ``y`` (length 2m), as an (h, w) image.

        ``part="magnitude"`` (default) returns |·|, the usual MRI display and
        the classical "zero-filled" reconstruction; ``part="real"`` returns the
        real part, which is exactly ``(A.T @ y)`` reshaped (the adjoint).
        """
        xp = self.xp
        _checks.choice(part, ("magnitude", "real"), "part")
        _checks.array(y, "y", ndim=1)
        img = ifft2(self.zero_filled_kspace(y, "y"), norm="ortho")
        return xp.abs(img) if part == "magnitude" else xp.real(img)





# ---------------------------------------------------------------------------
# data: images and simulated k-space
# ---------------------------------------------------------------------------

#: mask kinds understood by :func:`mri_problem`
MASKS = ("cartesian", "random")


def phantom(size=64, xp=None, dtype=None, device=None):
    """The Shepp–Logan phantom (scikit-image's), resized to ``size`` and scaled to [0, 1].

    Examples
    --------
    >>> from cstheory.mri import phantom
    >>> x = phantom(32)
    >>> print(x.shape, float(x.min()), float(x.max()))
    (32, 32) 0.0 1.0
    """
    return load_image("shepp_logan", size=size, xp=xp, dtype=dtype, device=device)


def natural_image(size=64, name="camera", xp=None, dtype=None, device=None):
    """A natural image bundled with scikit-image (default the cameraman), gray, resized, in [0, 1].

    Examples
    --------
    >>> from cstheory.mri import natural_image
    >>> x = natural_image(32, 'grass')
    >>> print(x.shape, float(x.min()), float(x.max()))
    (32, 32) 0.0 1.0
    """
    if name == "shepp_logan":
        raise ValueError("name must be a natural image (e.g. 'camera'); use phantom() for the phantom")
    _checks.choice(name, tuple(n for n in IMAGES if n != "shepp_logan"), "name")
    return load_image(name, size=size, xp=xp, dtype=dtype, device=device)


@compact_repr
@dataclass
class MRIProblem:
    """A simulated single-coil acquisition.

    Attributes
    ----------
    image : (h, w) array
        The ground truth x*.
    operator : SubsampledFourier
        A; ``operator.mask`` is the sampling mask.
    y : (2m,) array
        Measurements [Re; Im] of the sampled k-space, noise included.
    noise_std : float
        Standard deviation s of each real and each imaginary noise entry
        (0 without noise); the complex noise per sample has variance 2s².
    snr_db : float or None
        The requested SNR = 10 log10(‖A x*‖² / E‖e‖²).

    Examples
    --------
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem(size=32, acceleration=4, snr_db=30, rng=0)
    >>> print(P.image.shape, P.y.shape, P.acceleration, P.snr_db)
    (32, 32) (512,) 4.0 30
    """

    image: object
    operator: SubsampledFourier
    y: object
    noise_std: float
    snr_db: float | None

    @property
    def acceleration(self) -> float:
        return self.operator.acceleration


def simulate_kspace(image, mask, snr_db=None, rng=0):
    """Undersampled k-space of ``image`` with optional complex Gaussian noise.

    y = A x* + e, where A = :class:`SubsampledFourier` for ``mask`` and e has
    iid N(0, s²) real and imaginary parts with

        s² = ‖A x*‖² / (2m) · 10^(−snr_db / 10),

    so that ‖A x*‖² / E‖e‖² = 10^(snr_db/10) (the SNR in dB over the sampled
    coefficients).  ``snr_db=None`` gives noiseless data.  The noise is drawn
    on the host from ``rng`` (same seed, same noise on every backend).

    Returns
    -------
    MRIProblem

    Parameters
    ----------
    image : array (h, w)
        The ground truth x*.
    mask : array (h, w) of bool
        Sampled k-space locations (unshifted ``fft2`` layout).
    snr_db : float, optional
        Signal-to-noise ratio in dB; ``None`` for noiseless data.
    rng : int or numpy.random.Generator
        Seed of the noise.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> from cstheory.mri import phantom, simulate_kspace
    >>> x = phantom(32)
    >>> P = simulate_kspace(x, cst.cartesian_mask((32, 32), 4, rng=0), snr_db=20, rng=1)
    >>> e = P.y - P.operator @ x
    >>> print(round(10 * np.log10(np.sum((P.operator @ x) ** 2) / np.sum(e ** 2)), 1))   # the measured SNR, dB
    20.7
    """
    _checks.array(image, "image", ndim=2)
    _checks.array(mask, "mask", ndim=2, dtype="mask")
    _checks.namespace(image=image, mask=mask)
    if snr_db is not None:
        _checks.real(snr_db, "snr_db")
    host_rng = as_generator(rng)
    xp = namespace(image)
    dev = array_api_compat.device(image)
    A = SubsampledFourier(tuple(image.shape), mask, xp=xp, dtype=image.dtype, device=dev)
    y = A @ image
    s = 0.0
    if snr_db is not None:
        rms = _numeric.norm(xp, y) / math.sqrt(y.shape[0])          # overflow-free ‖A x*‖ / √(2m)
        s = rms * 10.0 ** (-snr_db / 20.0)
        e = host_rng.standard_normal(y.shape[0]) * s
        y = y + asarray(e, xp=xp, dtype=y.dtype, device=dev)
    return MRIProblem(image=image, operator=A, y=y, noise_std=s, snr_db=snr_db)


def _crop_axis(K, s, axis):
    """The s central frequencies of K along ``axis`` (unshifted layout); for even s the Nyquist
    frequency −s/2 of the coarse grid gets the mean of the fine grid's ±s/2 (Hermitian symmetry)."""
    N = K.shape[axis]
    if s % 2:
        idx = np.r_[0:(s + 1) // 2, N - (s - 1) // 2:N]
        return np.take(K, idx, axis=axis)
    nyquist = 0.5 * (np.take(K, [s // 2], axis=axis) + np.take(K, [N - s // 2], axis=axis))
    return np.concatenate([np.take(K, np.r_[0:s // 2], axis=axis), nyquist,
                           np.take(K, np.r_[N - s // 2 + 1:N], axis=axis)], axis=axis)


def fourier_downsample(fine, shape):
    """The real (h, w) image whose orthonormal DFT holds the central h × w frequencies of ``fine``'s.

    With F_s the orthonormal DFT on an s-grid, a coarse pixel of a fine image
    x_f averages its fine pixels, so F_c x_c ≈ √(hw/HW) · (F_f x_f) on the
    shared frequencies; the returned image is F_c⁻¹ of exactly that (the
    k-space of a finer object, as an MRI scanner measures it, truncated to
    what the coarse grid represents).  For an even side the coarse grid's Nyquist
    frequency gets the mean of the fine grid's ±Nyquist pair (Hermitian symmetry,
    so the result is real).  Computed on the host in float64.

    Parameters
    ----------
    fine : array (H, W)
        The image on the fine grid: real, finite, any backend.
    shape : (int, int)
        The coarse shape (h, w), h ≤ H and w ≤ W.

    Returns
    -------
    numpy.ndarray (h, w)
        float64, on the host.

    Raises
    ------
    TypeError
        For a ``fine`` that is not a real floating array, a ``shape`` that is not a pair of integers.
    ValueError
        For a ``fine`` that is not 2-D, empty or has NaN/inf, a ``shape`` with non-positive entries or
        larger than ``fine``'s.

    Examples
    --------
    The band-limited coarse image keeps the mean and, on the same grid, changes nothing:

    >>> import numpy as np
    >>> from cstheory.mri import fourier_downsample
    >>> fine = np.random.default_rng(0).uniform(size=(64, 48))
    >>> coarse = fourier_downsample(fine, (16, 12))
    >>> print(coarse.shape, abs(coarse.mean() - fine.mean()) < 1e-12)
    (16, 12) True
    >>> print(np.abs(fourier_downsample(fine, (64, 48)) - fine).max() < 1e-13)
    True
    """
    _checks.array(fine, "fine", ndim=2)
    h, w = _image_shape(shape)
    fine = np.asarray(to_numpy(fine), dtype=np.float64)
    H, W = fine.shape
    if h > H or w > W:
        raise ValueError(f"shape {(h, w)} must not exceed the fine image's {fine.shape}")
    K = np.fft.fft2(fine, norm="ortho")
    K = _crop_axis(_crop_axis(K, h, 0), w, 1) * math.sqrt(h * w / (H * W))
    return np.real(np.fft.ifft2(K, norm="ortho"))


def mri_problem(image="shepp_logan", size=64, acceleration=4, mask="cartesian", center_fraction=None,
                snr_db=None, rng=0, xp=None, dtype=None, device=None, oversample=1):
    """One call from an image name to a simulated acquisition (the setting of Fig. 5).

    Parameters
    ----------
    image : str or (h, w) array
        ``"shepp_logan"``, a scikit-image name for :func:`cstheory.load_image`, or an image.
    size : int
        Side of the resized image (ignored for an array).
    acceleration : float
        Undersampling factor (4 or 8 in Sec. 5).
    mask : {"cartesian", "random"}
        :func:`cartesian_mask` (variable-density lines, fully sampled centre)
        or :func:`random_mask` (2-D variable-density points).
    center_fraction, snr_db
        Passed on to the mask generator and :func:`simulate_kspace`.
    rng : int or numpy.random.Generator
        One host generator draws the mask first, then the noise (so an int
        seed gives the same mask as ``cartesian_mask(..., rng=seed)``).
    oversample : int
        1 (default): y = A x* + e on the reconstruction grid (the inverse crime).
        s > 1: the picture is rendered at s·``size`` (or ``image`` is that fine-grid array,
        its sides divisible by s), its k-space is cropped to the central frequencies of the
        s-times coarser grid (:func:`fourier_downsample`), the
        object is scaled (an affine map, so still an object) for the fully sampled
        reconstruction x* to span [0, 1], and y samples that k-space (module docstring).

    Returns
    -------
    MRIProblem

    Examples
    --------
    >>> from cstheory.mri import mri_problem, psnr
    >>> P = mri_problem('shepp_logan', size=32, acceleration=4, rng=0)
    >>> zero_filled = P.operator.zero_filled(P.y)
    >>> print(P.acceleration, round(psnr(zero_filled, P.image), 1))      # the zero-filled baseline, dB
    4.0 18.3
    """
    _checks.choice(mask, MASKS, "mask")
    host_rng = as_generator(rng)
    _checks.real(acceleration, "acceleration", low=1.0)
    if center_fraction is not None:
        _checks.real(center_fraction, "center_fraction", low=0.0, high=1.0, low_open=True)
    if snr_db is not None:
        _checks.real(snr_db, "snr_db")
    oversample = _checks.positive_int(oversample, "oversample")
    if oversample > 1:
        if isinstance(image, str):
            size = _checks.positive_int(size, "size")
            fine = to_numpy(load_image(image, size=size * oversample))
        else:
            fine = np.asarray(to_numpy(_checks.array(image, "image", ndim=2)), dtype=np.float64)
            if fine.shape[0] % oversample or fine.shape[1] % oversample:
                raise ValueError(f"image of shape {fine.shape} (the fine grid) must be divisible by "
                                 f"oversample={oversample}")
        coarse = (fine.shape[0] // oversample, fine.shape[1] // oversample)
        band = fourier_downsample(fine, coarse)
        lo, hi = float(band.min()), float(band.max())
        if not hi > lo:
            raise ValueError("image is constant: nothing to reconstruct")
        fine = (fine - lo) / (hi - lo)          # the object a·fine + b: its reconstruction spans [0, 1]
        reference = asarray(fourier_downsample(fine, coarse), xp=xp, dtype=dtype, device=device)
        return mri_problem(reference, acceleration=acceleration, mask=mask, center_fraction=center_fraction,
                           snr_db=snr_db, rng=rng)
    if isinstance(image, str):
        image = load_image(image, size=size, xp=xp, dtype=dtype, device=device)
    else:
        _checks.array(image, "image", ndim=2)
    make = cartesian_mask if mask == "cartesian" else random_mask
    m = make(tuple(image.shape), acceleration, center_fraction=center_fraction, rng=host_rng,
             xp=namespace(image), device=array_api_compat.device(image))
    return simulate_kspace(image, m, snr_db=snr_db, rng=host_rng)


def _pair(x, x_true, name):
    _checks.array(x, "x", ndim=(1, 2))
    _checks.array(x_true, "x_true", ndim=2)
    _checks.namespace(x=x, x_true=x_true)
    a = np.asarray(to_numpy(x), dtype=np.float64)
    b = np.asarray(to_numpy(x_true), dtype=np.float64)
    if a.size != b.size or (a.ndim == 2 and a.shape != b.shape):
        raise ValueError(f"{name}: x must have the shape of x_true {b.shape} (or be its flattening), got {a.shape}")
    a = a.reshape(b.shape)
    if not float(b.max() - b.min()) > 0:
        raise ValueError(f"{name}: x_true must not be constant (its range max - min is the data range)")
    return a, b


def psnr(x, x_true):
    """Peak signal-to-noise ratio in dB, 10 log10(range(x*)² / MSE), via ``skimage.metrics``.

    The data range is that of the ground truth (max − min of ``x_true``).

    Parameters
    ----------
    x : array (h, w) or (h·w,)
        The reconstruction.
    x_true : array (h, w)
        The ground truth; its range max − min is the peak.

    Returns
    -------
    float
        In dB; ``inf`` when x equals x_true.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.mri import phantom, psnr
    >>> x = phantom(32)
    >>> print(round(psnr(x + 0.1, x), 6))        # MSE 0.01 at peak 1: 20 dB
    20.0
    """
    from skimage.metrics import peak_signal_noise_ratio
    a, b = _pair(x, x_true, "psnr")
    if np.array_equal(a, b):
        return float("inf")
    return float(peak_signal_noise_ratio(b, a, data_range=float(b.max() - b.min())))


def ssim(x, x_true):
    """Structural similarity (``skimage.metrics.structural_similarity``, 7×7 window),
    data range that of the ground truth.

    Parameters
    ----------
    x : array (h, w) or (h·w,)
        The reconstruction.
    x_true : array (h, w)
        The ground truth.

    Returns
    -------
    float
        1 for identical images, smaller for worse ones.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.mri import phantom, ssim
    >>> x = phantom(32)
    >>> noisy = x + 0.2 * np.random.default_rng(0).standard_normal(x.shape)
    >>> print(round(ssim(x, x), 6), ssim(noisy, x) < 0.9)
    1.0 True
    """
    from skimage.metrics import structural_similarity
    a, b = _pair(x, x_true, "ssim")
    win = min(7, *b.shape)
    win -= (win + 1) % 2  # odd window no larger than the image
    return float(structural_similarity(b, a, data_range=float(b.max() - b.min()), win_size=win))
