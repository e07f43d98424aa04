"""Exercise ``subsampled_fourier_adjoint``: the adjoint of the MRI measurement operator (Sec. 5).

The checker compares the student's ``subsampled_fourier_adjoint(mask, r)`` with
``cstheory.SubsampledFourier((h, w), mask).rmatvec(r)`` for h, w = 1 … 6 (odd
and even) and arbitrary masks and measurements; on a mismatch it reports the
adjoint identity ⟨A x, r⟩ = ⟨x, Aᵀ r⟩ for a random image x.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import SubsampledFourier
from .._backend import to_numpy
from ._engine import Exercise, Mistake
from ._strategies import float_arrays

NAME = "subsampled_fourier_adjoint"

STATEMENT = """
In the MRI experiment of Sec. 5 (Fig. 5) the measurements of an image x ∈ R^{h×w} are the
k-space coefficients of x at the sampled locations Ω (the True entries of a mask, in the
unshifted np.fft.fft2 layout, in row-major order): with F the orthonormal 2-D DFT,

    A x = [Re (F x)_Ω ; Im (F x)_Ω] ∈ R^{2m},

a real-linear map from R^{h·w} (x flattened row-major) to R^{2m}. Gradient descent on
½‖A G(θ) − y‖² needs its adjoint over the reals, the map Aᵀ with ⟨A x, r⟩ = ⟨x, Aᵀ r⟩ for all
real x and r: put c = r_re + i r_im back at the sampled locations (zeros elsewhere), apply the
inverse of F (its adjoint F^H, the orthonormal inverse DFT) and keep what the real inner
product sees. Write `subsampled_fourier_adjoint(mask, r)` returning Aᵀ r as a flat real
vector of length h·w. The checker draws odd and even h, w, arbitrary masks and r, and compares
with cstheory.SubsampledFourier(shape, mask).rmatvec(r).
"""

BRIEF = """
Write `subsampled_fourier_adjoint(mask, r)` returning Aᵀ r, the adjoint over the reals of the
MRI measurement operator of Sec. 5 (the stacked real and imaginary parts of the orthonormal 2-D
DFT of an h × w image at the sampled locations of the mask), as a flat real vector of length h·w.
"""

STUB = '''
import numpy as np


def subsampled_fourier_adjoint(mask, r):
    """The adjoint A^T r of the subsampled Fourier operator A x = [Re (F x)_Omega; Im (F x)_Omega].

    Parameters
    ----------
    mask : numpy.ndarray of bool, shape (h, w)
        The sampled k-space locations Omega, in the unshifted np.fft.fft2 layout
        (the DC coefficient at [0, 0]); at least one entry is True.
    r : numpy.ndarray, shape (2 * m,)
        m = mask.sum(); r = [r_re; r_im]: first the m real parts, then the m
        imaginary parts, each in the row-major order of the True entries of mask
        (the order of np.flatnonzero(mask)).

    Returns
    -------
    x : numpy.ndarray, shape (h * w,)
        A^T r as a flat REAL vector (row-major, like image.reshape(-1)), such that
        <A x, r> = <x, A^T r> for every real image x.

    Conventions
    -----------
    * F is the ORTHONORMAL 2-D DFT: np.fft.fft2(image, norm="ortho").
    """
    raise NotImplementedError("write the adjoint of the subsampled Fourier operator")
'''


def _ensure_sampled(mask):
    mask = np.array(mask, dtype=bool)
    if not mask.any():
        mask[0, 0] = True  # (shrinks towards the DC coefficient alone)
    return mask


def draw(data):
    h = data.draw(st.integers(1, 6), label="h")
    w = data.draw(st.integers(1, 6), label="w")
    mask = data.draw(hnp.arrays(np.bool_, (h, w)).map(_ensure_sampled), label="mask")
    r = data.draw(float_arrays((2 * int(mask.sum()),)), label="r")
    return {"mask": mask, "r": r}


def reference(mask, r):
    return to_numpy(SubsampledFourier(mask.shape, mask).rmatvec(r))


def example():
    mask = np.array([[True, False, True], [False, True, False]])
    return {"mask": mask, "r": np.array([1.0, -0.5, 0.25, 0.5, 0.0, -1.0])}


def _forward(mask, x):
    """A x with NumPy's FFT: [Re (F x)_Ω ; Im (F x)_Ω]."""
    k = np.fft.fft2(x.reshape(mask.shape), norm="ortho").reshape(-1)[np.flatnonzero(mask)]
    return np.concatenate([k.real, k.imag])


def judge(inputs, expected, got):
    """Report the adjoint identity ⟨A x, r⟩ = ⟨x, Aᵀ r⟩ for a random image x (seeded by the shape)."""
    mask, r = inputs["mask"], inputs["r"]
    if got.shape != expected.shape:
        return None
    x = np.random.default_rng(mask.size).standard_normal(mask.size)
    lhs, rhs = float(_forward(mask, x) @ r), float(x @ got)
    return (f"Wrong values: your function is not the adjoint of A. For a random image x, ⟨A x, r⟩ = {lhs:.6g} "
            f"but ⟨x, your Aᵀ r⟩ = {rhs:.6g} (cstheory's gives {float(x @ expected):.6g}).",
            "Aᵀ r = Re(F^H P_Ωᵀ (r_re + i r_im)): zero-fill the m values c at their k-space locations, apply the "
            "orthonormal inverse DFT (np.fft.ifft2(…, norm='ortho')), keep the real part, flatten row-major.",
            "not_adjoint")


# -- classic mistakes ------------------------------------------------------------
def _adjoint(mask, r, inverse=True, norm="ortho", interleaved=False, column_major=False,
             shift=False, part=np.real, flat=True):
    h, w = mask.shape
    m = int(mask.sum())
    if interleaved:
        c = r[0::2] + 1j * r[1::2]
    else:
        c = r[:m] + 1j * r[m:]
    K = np.zeros(h * w, dtype=complex)
    if column_major:
        idx = np.flatnonzero(mask.T)                  # column-major order of the sampled locations …
        rows, cols = idx % h, idx // h
        K.reshape(h, w)[rows, cols] = c               # … placed at their true positions
    else:
        K[np.flatnonzero(mask)] = c
    K = K.reshape(h, w)
    if shift:
        K = np.fft.ifftshift(K)
    img = np.fft.ifft2(K, norm=norm) if inverse else np.fft.fft2(K, norm=norm)
    out = part(img)
    return out.reshape(-1) if flat else out


MISTAKES = [
    Mistake("unnormalised_ifft", "np.fft.ifft2 without norm='ortho' divides by h·w: the operator uses the "
            "ORTHONORMAL DFT both ways, so its adjoint is np.fft.ifft2(…, norm='ortho').",
            lambda mask, r: _adjoint(mask, r, norm="backward")),
    Mistake("forward_fft", "you computed Re(F P_Ωᵀ c) instead of Re(F^H P_Ωᵀ c): either np.fft.fft2 where the "
            "INVERSE DFT belongs (the adjoint of F is F^H, np.fft.ifft2), or — the same numbers, since "
            "F^H c̄ is the conjugate of F c — the right transform with c = r_re − i r_im instead of "
            "r_re + i r_im.", lambda mask, r: _adjoint(mask, r, inverse=False)),
    Mistake("interleaved", "r stacks all m real parts first, then all m imaginary parts, r = [Re (F x)_Ω ; "
            "Im (F x)_Ω] — not interleaved pairs (re, im, re, im, …).",
            lambda mask, r: _adjoint(mask, r, interleaved=True)),
    Mistake("column_major", "the m measurements follow the ROW-major order of the mask (np.flatnonzero(mask), "
            "mask.reshape(-1)), not the column-major order.",
            lambda mask, r: _adjoint(mask, r, column_major=True)),
    Mistake("fftshift", "no fftshift: the mask is in the unshifted np.fft.fft2 layout (the DC coefficient at "
            "[0, 0]), so the zero-filled k-space goes straight into ifft2.",
            lambda mask, r: _adjoint(mask, r, shift=True)),
    Mistake("magnitude", "you returned the magnitude |F^H P_Ωᵀ c| (the zero-filled image shown to "
            "radiologists); the adjoint is its REAL part.", lambda mask, r: _adjoint(mask, r, part=np.abs)),
    Mistake("not_flattened", "return the FLAT vector of length h·w (row-major, image.reshape(-1)), not the "
            "(h, w) image.", lambda mask, r: _adjoint(mask, r, flat=False)),
]

EXERCISE = Exercise(
    name=NAME, position=80, summary="the adjoint of the MRI operator",
    equation="Sec. 5",
    brief=BRIEF, shape="(h·w,) where mask is h × w", function="subsampled_fourier_adjoint",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    judge=judge,
    default_hint="Aᵀ r = Re(F^H P_Ωᵀ (r_re + i r_im)), flattened row-major; check it with ⟨A x, r⟩ = ⟨x, Aᵀ r⟩ "
                 "for a random x.",
    nan_hint="a NaN or infinity: the adjoint only places numbers and applies an FFT — look for a division "
             "(e.g. by the number of zeros of the mask) in your code.",
    complex_hint="Aᵀ r is a REAL image: A maps real images to the stacked real and imaginary parts of their "
                 "k-space samples, so its adjoint over the reals is Re(F^H P_Ωᵀ c) — take the real part of the "
                 "complex image.",
)
