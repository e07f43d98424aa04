"""MRI data (floor 2): the phantom and natural images, simulated k-space, :func:`mri_problem`."""
from __future__ import annotations

import math
from dataclasses import dataclass

import array_api_compat
import numpy as np

from .._repr import compact_repr
from .. import _checks
from .._backend import as_generator, asarray, namespace, to_numpy
from .. import _numeric
from ..signals import IMAGES, load_image
from .masks import cartesian_mask, image_shape_of, random_mask
from .operator import SubsampledFourier

__all__ = ["phantom", "natural_image", "MRIProblem", "simulate_kspace", "mri_problem", "MASKS", "fourier_downsample"]


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
    h, w = image_shape_of(shape)
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
