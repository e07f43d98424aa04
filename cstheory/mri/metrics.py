"""Image quality (floor 2): :func:`psnr` and :func:`ssim` against a reference, and :func:`magnitude`.

A complex image is the real (2, h, w) stack [real part; imaginary part] (:class:`SubsampledFourier`
with ``complex_image=True``).  Complex images are scored by their **magnitude** |x| against |x*|
(fastMRI's convention): a reference of shape (2, h, w) makes :func:`psnr` and :func:`ssim` compare
magnitudes, and then ``x`` must be complex too.  For a zero phase and x, x* ≥ 0 this is the real score.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from .._backend import namespace, to_numpy

__all__ = ["psnr", "ssim", "magnitude"]


def magnitude(x):
    """The magnitude |x| = √(x_re² + x_im²) (h, w) of a complex image stored as a real (2, h, w) stack.

    Parameters
    ----------
    x : array (2, h, w)
        Real and imaginary part, any backend.

    Returns
    -------
    array (h, w)
        On x's backend, in x's dtype.

    Raises
    ------
    TypeError
        For an ``x`` that is not a real floating array.
    ValueError
        For an ``x`` not of shape (2, h, w), or with NaN/inf.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.mri import magnitude
    >>> print(magnitude(np.array([[[3.0]], [[-4.0]]])))      # |3 − 4i| = 5
    [[5.]]
    """
    _checks.array(x, "x", ndim=3)
    if x.shape[0] != 2:
        raise ValueError(f"x must have shape (2, h, w) (real and imaginary part), got {tuple(x.shape)}")
    xp = namespace(x)
    return xp.sqrt(x[0, ...] * x[0, ...] + x[1, ...] * x[1, ...])


def _pair(x, x_true, name):
    _checks.array(x_true, "x_true", ndim=(2, 3))
    if x_true.ndim == 3:                       # complex images: compare magnitudes
        if x_true.shape[0] != 2:
            raise ValueError(f"{name}: x_true must have shape (h, w) or (2, h, w) (a complex image), "
                             f"got {tuple(x_true.shape)}")
        _checks.array(x, "x", ndim=(1, 2, 3))
        _checks.namespace(x=x, x_true=x_true)
        if x.ndim == 2:
            raise ValueError(f"{name}: x must have the shape of the complex x_true {tuple(x_true.shape)} (or be its "
                             f"flattening), got the real image shape {tuple(x.shape)}; to score a magnitude, "
                             "give magnitude(x_true)")
        if x.size != x_true.size or (x.ndim == 3 and tuple(x.shape) != tuple(x_true.shape)):
            raise ValueError(f"{name}: x must have the shape of the complex x_true {tuple(x_true.shape)} (or be "
                             f"its flattening), got {tuple(x.shape)}")
        x = magnitude(namespace(x).reshape(x, tuple(x_true.shape)))
        x_true = magnitude(x_true)
    _checks.array(x, "x", ndim=(1, 2))
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
    x : array (h, w) or (h·w,); (2, h, w) or (2·h·w,) for a complex ``x_true``
        The reconstruction.
    x_true : array (h, w), or (2, h, w) for a complex image
        The ground truth; its range max − min is the peak.  A complex (2, h, w)
        reference compares magnitudes: the PSNR of |x| against |x*|, peak the range of |x*|.

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
    >>> z, phase = np.stack([x, 0 * x]), np.exp(1j)          # complex images: magnitudes are compared …
    >>> rotated = np.stack([(x + 0.1) * phase.real, (x + 0.1) * phase.imag])
    >>> print(round(psnr(rotated, z), 6))                    # … so a global phase changes nothing
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
    x : array (h, w) or (h·w,); (2, h, w) or (2·h·w,) for a complex ``x_true``
        The reconstruction.
    x_true : array (h, w), or (2, h, w) for a complex image (magnitudes are compared, as in :func:`psnr`)
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
