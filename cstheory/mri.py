"""Offline single-coil MRI data for Sec. 5 (floor 2): test images, simulated k-space, image metrics.

Sec. 5 of the paper reconstructs an image from 8-fold undersampled k-space
measurements of the fastMRI set.  Nothing of fastMRI is assumed here: the
images are the Shepp–Logan phantom (the classical MRI test object) and a
natural image bundled with scikit-image, and their k-space is simulated with
:class:`cstheory.operators.SubsampledFourier`,

    y = A x* + e,   A x = [Re (F x)_Ω ; Im (F x)_Ω],

with optional complex Gaussian noise e at a stated signal-to-noise ratio.

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

from . import _checks
from ._backend import as_generator, asarray, namespace, to_numpy
from .operators import SubsampledFourier, cartesian_mask, random_mask
from .signals import load_image

__all__ = ["phantom", "natural_image", "MRIProblem", "simulate_kspace", "mri_problem", "psnr", "ssim",
           "MASKS", "fourier_downsample"]

#: mask kinds understood by :func:`mri_problem`
MASKS = ("cartesian", "random")


def phantom(size=64, xp=None, dtype=None, device=None):
    """The Shepp–Logan phantom (scikit-image's), resized to ``size`` and scaled to [0, 1]."""
    return load_image("shepp_logan", size=size, xp=xp, dtype=dtype, device=device)


def natural_image(size=64, name="camera", xp=None, dtype=None, device=None):
    """A natural image bundled with scikit-image (default the cameraman), gray, resized, in [0, 1]."""
    if name == "shepp_logan":
        raise ValueError("name must be a natural image (e.g. 'camera'); use phantom() for the phantom")
    return load_image(name, size=size, xp=xp, dtype=dtype, device=device)


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
    """
    _checks.array(image, "image", ndim=2)
    xp = namespace(image)
    dev = array_api_compat.device(image)
    A = SubsampledFourier(tuple(image.shape), mask, xp=xp, dtype=image.dtype, device=dev)
    y = A @ image
    s = 0.0
    if snr_db is not None:
        if isinstance(snr_db, bool) or not isinstance(snr_db, (int, float)) or not math.isfinite(snr_db):
            raise ValueError(f"snr_db must be a finite number of decibels or None, got {snr_db!r}")
        power = float(xp.sum(y * y)) / y.shape[0]
        s = math.sqrt(power * 10.0 ** (-snr_db / 10.0))
        e = as_generator(rng).standard_normal(y.shape[0]) * s
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
    what the coarse grid represents).  Computed on the host; returns NumPy.
    """
    fine = np.asarray(fine, dtype=np.float64)
    h, w = (_checks.positive_int(s, "shape entry") for s in shape)
    H, W = fine.shape
    if h > H or w > W:
        raise ValueError(f"shape {tuple(shape)} must not exceed the fine image's {fine.shape}")
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
    """
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
    if mask not in MASKS:
        raise ValueError(f"mask must be one of {MASKS}, got {mask!r}")
    gen = as_generator(rng)
    make = cartesian_mask if mask == "cartesian" else random_mask
    m = make(tuple(image.shape), acceleration, center_fraction=center_fraction, rng=gen,
             xp=namespace(image), device=array_api_compat.device(image))
    return simulate_kspace(image, m, snr_db=snr_db, rng=gen)


def _pair(x, x_true, name):
    a = np.asarray(to_numpy(x), dtype=np.float64)
    b = np.asarray(to_numpy(x_true), dtype=np.float64)
    if b.ndim == 1:
        raise ValueError("x_true must be a 2-D image")
    a = a.reshape(b.shape) if a.size == b.size else a
    if a.shape != b.shape:
        raise ValueError(f"{name}: x has shape {a.shape} but x_true has shape {b.shape}")
    return a, b


def psnr(x, x_true):
    """Peak signal-to-noise ratio in dB, 10 log10(range(x*)² / MSE), via ``skimage.metrics``.

    The data range is that of the ground truth (max − min of ``x_true``)."""
    from skimage.metrics import peak_signal_noise_ratio
    a, b = _pair(x, x_true, "psnr")
    if np.array_equal(a, b):
        return float("inf")
    return float(peak_signal_noise_ratio(b, a, data_range=float(b.max() - b.min())))


def ssim(x, x_true):
    """Structural similarity (``skimage.metrics.structural_similarity``, 7×7 window),
    data range that of the ground truth."""
    from skimage.metrics import structural_similarity
    a, b = _pair(x, x_true, "ssim")
    win = min(7, *b.shape)
    win -= (win + 1) % 2  # odd window no larger than the image
    return float(structural_similarity(b, a, data_range=float(b.max() - b.min()), win_size=win))
