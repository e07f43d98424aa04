"""Zero filling (floor 5): the direct reconstruction, no λ, no iteration."""
from __future__ import annotations

from .. import _checks
from ..mri import SubsampledFourier
from .core import setup
from .registry import Method, register

__all__ = ["zero_filled"]


def zero_filled(A, y, shape=None, part=None):
    """Zero-filled inverse FFT: F^H P_Ωᵀ y (the k-space with zeros at unsampled locations).

    For a :class:`cstheory.SubsampledFourier` ``A`` this is ``A.zero_filled(y, part)``:
    ``part="magnitude"`` (the default for real images, the usual MRI reconstruction), ``"real"``
    (= Aᵀ y for real images) or ``"complex"`` (the (2, h, w) stack [Re; Im], the default for a
    complex-image ``A``, = Aᵀ y reshaped).  For any other operator, Aᵀ y reshaped to ``shape``.

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
        The measurement operator.
    y : array (m,)
        The measurements, real, finite, on A's backend.
    shape : (int, int), optional
        The image shape (default ``A.image_shape``).
    part : {"magnitude", "real", "complex"}, optional
        What of the complex image a Fourier ``A`` returns (default "magnitude", or "complex" for a
        complex-image ``A``).

    Returns
    -------
    array (h, w), or (2, h, w) for ``part="complex"``

    Raises
    ------
    TypeError
        For an ``A`` that is not an operator or a 2-D array, a ``y`` of the wrong kind or backend, a
        shape that is not a pair of integers, a non-string ``part``.
    ValueError
        For a ``y`` of the wrong length or with NaN/inf, a ``shape`` whose pixels are not A's columns,
        an unknown ``part``.

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem, psnr
    >>> P = mri_problem("shepp_logan", size=32, acceleration=4, rng=0, oversample=4)
    >>> print(round(psnr(baselines.zero_filled(P.operator, P.y), P.image), 2))    # dB: the aliased floor
    19.79
    """
    if part is not None:
        part = _checks.choice(part, ("magnitude", "real", "complex"), "part")
    xp, shape = setup(A, y, shape)
    if isinstance(A, SubsampledFourier):
        if part is None:
            part = "complex" if A.complex_image else "magnitude"
        return A.zero_filled(y, part=part)
    return xp.reshape(A.T @ y, shape)


register(Method("zero-filled", zero_filled, "|F^H P_Ωᵀ y| (Fourier data; F^H P_Ωᵀ y for complex images; Aᵀy otherwise)",
                "one inverse FFT"))
