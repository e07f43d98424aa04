"""Image quality (floor 2): :func:`psnr` and :func:`ssim` against a reference."""
from __future__ import annotations

import numpy as np

from .. import _checks
from .._backend import to_numpy

__all__ = ["psnr", "ssim"]


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
