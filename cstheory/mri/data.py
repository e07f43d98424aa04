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

__all__ = ["phantom", "natural_image", "MRIProblem", "simulate_kspace", "mri_problem", "MASKS", "PHASES",
           "fourier_downsample", "smooth_phase"]


#: mask kinds understood by :func:`mri_problem`
MASKS = ("cartesian", "random")
#: phases understood by :func:`mri_problem`: ``None`` (a real image) or ``"smooth"`` (:func:`smooth_phase`)
PHASES = (None, "smooth")


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
    image : (h, w) array, or (2, h, w) for a complex image
        The ground truth x* (a complex image as the stack [real part; imaginary part]).
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

    @property
    def complex_image(self) -> bool:
        """Whether x* is a complex image (2, h, w) and the operator a complex-image one."""
        return self.operator.complex_image


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
    draws = None if snr_db is None else host_rng.standard_normal(2 * A.num_samples)
    return _acquire(A, image, snr_db, draws)


def _acquire(A, image, snr_db, draws):
    """y = A x* + s · draws with s set by ``snr_db`` (noiseless when ``snr_db`` is None), as an MRIProblem."""
    xp = A.xp
    y = A @ image
    s = 0.0
    if snr_db is not None:
        rms = _numeric.norm(xp, y) / math.sqrt(y.shape[0])          # overflow-free ‖A x*‖ / √(2m)
        s = rms * 10.0 ** (-snr_db / 20.0)
        e = draws * s
        y = y + asarray(e, xp=xp, dtype=y.dtype, device=array_api_compat.device(image))
    return MRIProblem(image=image, operator=A, y=y, noise_std=s, snr_db=snr_db)


def smooth_phase(shape, rng=0, components=4, peak_to_peak=math.pi):
    """A smooth random phase φ (h, w): a sum of low-frequency 2-D cosines, scaled to a given peak-to-peak.

    φ(u, v) = φ₀ + c · Σ_j a_j cos(2π (k_j u + l_j v) + θ_j) on the pixel centres u = (i + ½)/h,
    v = (j + ½)/w of the unit square, with integer frequencies k_j, l_j ∈ {−2, …, 2} (not both 0),
    amplitudes a_j ∈ [½, 1], offsets θ_j and the global phase φ₀ uniform in [0, 2π), and c such that
    max φ − min φ = ``peak_to_peak`` on the grid.  The frequencies are those of the unit square, so the
    same draws render the same function on a finer grid (up to where its extremes fall).

    Parameters
    ----------
    shape : (int, int)
        The grid (h, w).
    rng : int or numpy.random.Generator
        Draws, in order: frequencies, amplitudes, offsets, the global phase.
    components : int
        Number of cosines (≥ 1).
    peak_to_peak : float
        max φ − min φ (> 0), π by default.

    Returns
    -------
    numpy.ndarray (h, w)
        float64, on the host.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.mri import smooth_phase
    >>> phi = smooth_phase((32, 32), rng=0)
    >>> print(phi.shape, round(float(phi.max() - phi.min()), 6) == round(np.pi, 6))
    (32, 32) True
    """
    h, w = image_shape_of(shape)
    _checks.memory(_checks.nbytes((h, w)) * 4, f"smooth_phase(shape={(h, w)})")
    host_rng = as_generator(rng)
    components = _checks.positive_int(components, "components")
    peak_to_peak = _checks.positive_float(peak_to_peak, "peak_to_peak")
    freqs = host_rng.integers(-2, 3, size=(components, 2))
    amps = host_rng.uniform(0.5, 1.0, size=components)
    offsets = host_rng.uniform(0.0, 2 * math.pi, size=components)
    global_phase = float(host_rng.uniform(0.0, 2 * math.pi))
    for j in range(components):
        if freqs[j, 0] == 0 and freqs[j, 1] == 0:
            freqs[j] = (1, 0)                  # a constant would not be a component
    u = ((np.arange(h) + 0.5) / h)[:, None]
    v = ((np.arange(w) + 0.5) / w)[None, :]
    phi = sum(amps[j] * np.cos(2 * math.pi * (freqs[j, 0] * u + freqs[j, 1] * v) + offsets[j])
              for j in range(components))
    spread = float(phi.max() - phi.min())
    phi = (phi - phi.min()) * (peak_to_peak / spread) if spread > 0 else 0.0 * phi
    return phi + global_phase


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
                snr_db=None, rng=0, xp=None, dtype=None, device=None, oversample=1, phase=None):
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
    phase : {None, "smooth"}
        ``None`` (default): a real image.  ``"smooth"``: the object is m(x) e^{iφ(x)}, m the
        picture above (scaled as above) and φ a :func:`smooth_phase` of peak-to-peak π, drawn from
        ``rng`` *after* the mask and the noise (so the mask and the noise draws are those of
        ``phase=None``, whose results stay bit-identical; the noise draws are made without noise too,
        so one seed gives one object at every ``snr_db``).  With ``oversample`` > 1 the phase is
        rendered on the fine grid and x*, the fully sampled reconstruction, is complex.  x* is then
        the (2, h, w) stack [Re x*; Im x*] and ``operator`` a complex-image
        :class:`SubsampledFourier`; score it by magnitude (:func:`psnr` does, given the stack).

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
    >>> C = mri_problem('shepp_logan', size=32, acceleration=4, rng=0, phase='smooth')
    >>> print(C.image.shape, C.operator.complex_image, bool((C.operator.mask == P.operator.mask).all()))
    (2, 32, 32) True True
    """
    _checks.choice(mask, MASKS, "mask")
    if phase is not None:
        _checks.choice(phase, ("smooth",), "phase")
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
        if phase is not None:
            return _complex_problem(fine, coarse, acceleration, mask, center_fraction, snr_db, rng, xp, dtype,
                                    device)
        reference = asarray(fourier_downsample(fine, coarse), xp=xp, dtype=dtype, device=device)
        return mri_problem(reference, acceleration=acceleration, mask=mask, center_fraction=center_fraction,
                           snr_db=snr_db, rng=rng)
    if isinstance(image, str):
        image = load_image(image, size=size, xp=xp, dtype=dtype, device=device)
    else:
        _checks.array(image, "image", ndim=2)
    if phase is not None:
        fine = np.asarray(to_numpy(image), dtype=np.float64)
        return _complex_problem(fine, tuple(fine.shape), acceleration, mask, center_fraction, snr_db, rng,
                                namespace(image), image.dtype, array_api_compat.device(image))
    make = cartesian_mask if mask == "cartesian" else random_mask
    m = make(tuple(image.shape), acceleration, center_fraction=center_fraction, rng=host_rng,
             xp=namespace(image), device=array_api_compat.device(image))
    return simulate_kspace(image, m, snr_db=snr_db, rng=host_rng)


def _complex_problem(fine, coarse, acceleration, mask, center_fraction, snr_db, rng, xp, dtype, device):
    """:func:`mri_problem` with a smooth phase: the magnitude ``fine`` (on the fine grid, or on ``coarse`` itself),
    the mask and the noise drawn first (as for a noisy real image), then the phase.  The noise is drawn even
    without noise, so that a seed gives the same object at every ``snr_db``."""
    host_rng = as_generator(rng)
    probe = asarray(np.zeros(coarse), xp=xp, dtype=dtype, device=device)
    xp, dev = namespace(probe), array_api_compat.device(probe)
    make = cartesian_mask if mask == "cartesian" else random_mask
    m = make(coarse, acceleration, center_fraction=center_fraction, rng=host_rng, xp=xp, device=dev)
    A = SubsampledFourier(coarse, m, xp=xp, dtype=probe.dtype, device=dev, complex_image=True)
    draws = host_rng.standard_normal(2 * A.num_samples)     # drawn without noise too: one object per seed
    obj = fine * np.exp(1j * smooth_phase(fine.shape, host_rng))
    if tuple(fine.shape) != tuple(coarse):      # the band-limited k-space is linear: crop Re and Im alike
        obj = fourier_downsample(obj.real, coarse) + 1j * fourier_downsample(obj.imag, coarse)
    image = asarray(np.stack([obj.real, obj.imag]), xp=xp, dtype=probe.dtype, device=dev)
    return _acquire(A, image, snr_db, draws)
