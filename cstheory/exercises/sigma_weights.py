"""Exercise ``sigma_weights``: the Fourier weights σ of eq. (11).

The checker compares the student's ``sigma_weights(u)`` with
:func:`cstheory.sigma_weights` on arbitrary kernels (mostly asymmetric, where
the circular convolution printed in eq. (11) and the autocorrelation that
Σ(U) really involves differ), odd and even n from 1 to 16.
"""
from __future__ import annotations

import math

import numpy as np

from .._backend import to_numpy
from ..signals import frequency_order
from ..spectrum import sigma_weights as library_sigma_weights
from ..testing import sizes
from ._engine import Exercise, Mistake
from ._strategies import kernel_strategy

NAME = "sigma_weights"

STATEMENT = """
For the two-layer generator G(C) = ReLU(U C) v with U the circulant matrix of a kernel u
(U x = u ⊛ x, U[i, j] = u[(i − j) mod n]), the expected Gram matrix Σ(U) = E[J_G J_Gᵀ]
over Gaussian C has entries Σ_ij = ‖u_i‖‖u_j‖ g(cos θ_ij), with u_i the rows of U, θ_ij
the angle between rows i and j, and g(z) = ½ (1 − acos(z)/π) z. Σ(U) is circulant, so its
eigenvectors are the trigonometric basis w_0, …, w_{n−1} of eq. (10)
(cstheory.trig_basis(n)) and its eigenvalues are σ_i², with σ given by eq. (11):

    σ = ‖u‖ √| F g(ρ) |,   ρ = (u ⋆ u)/‖u‖²,

F the DFT. Careful: eq. (11) prints the circular convolution u ⊛ u, but the inner
products of the rows of U give the circular AUTOCORRELATION (u ⋆ u)[d] = Σ_l u[(l + d) mod n] u[l];
the two agree only for symmetric kernels, and the checker draws asymmetric ones.
Write `sigma_weights(u)` returning σ (not σ²) with σ[i] the weight of trig_basis column w_i
(so Wᵀ Σ(U) W = diag(σ²)). The checker compares with cstheory.sigma_weights(u) for odd and
even n.
"""

BRIEF = """
Write `sigma_weights(u)` returning the vector σ ∈ R^n of eq. (11) for a kernel u of length n: σ_i²
is the eigenvalue of the expected Gram matrix Σ(U) of the two-layer generator (App. B) that
belongs to the i-th vector of the trigonometric basis of eq. (10) (cstheory.trig_basis(n)).
"""

STUB = '''
import numpy as np


def sigma_weights(u):
    """The weights sigma of eq. (11) for the kernel u, in trig_basis order.

    Parameters
    ----------
    u : numpy.ndarray, shape (n,)
        A convolution kernel (any real kernel, in general NOT symmetric, not all zero).
        U[i, j] = u[(i - j) % n] is its circulant matrix.

    Returns
    -------
    sigma : numpy.ndarray, shape (n,)
        sigma[i] >= 0 with sigma[i]**2 the eigenvalue of Sigma(U) belonging to column i
        of cstheory.trig_basis(n) (eq. 10): W.T @ Sigma(U) @ W = diag(sigma**2).
        Return sigma itself, not sigma**2, and not sorted.

    Conventions
    -----------
    * g(z) = 0.5 * (1 - arccos(z) / pi) * z, applied entrywise.
    * rho = (u autocorrelated with itself) / ||u||^2, i.e. rho[d] = sum_l u[(l + d) % n] u[l] / ||u||^2
      (clip it to [-1, 1] before arccos: rounding can push it just outside).
    * Column i of trig_basis has frequency min(i, n - i).
    * Take the absolute value (as eq. 11 does) before the square root: rounding makes
      eigenvalues that are zero in exact arithmetic slightly negative.
    """
    raise NotImplementedError("write sigma of eq. (11)")
'''


def draw(data):
    n = data.draw(sizes(1, 16), label="n")
    return {"u": data.draw(kernel_strategy(n), label="u")}


def reference(u):
    return to_numpy(library_sigma_weights(u))


def example():
    return {"u": np.array([1.0, 0.5, -0.25, 0.0])}


# -- classic mistakes (host NumPy re-derivations with one thing wrong) ---------
def _variant(u, g=None, convolution=False, linear=False):
    """‖u‖ √|F g(ρ)| with a chosen g and ρ from the circular autocorrelation (or the convolution u ⊛ u, or the
    non-circular correlation of np.correlate)."""
    if g is None:
        def g(z):
            return 0.5 * (1.0 - np.arccos(z) / math.pi) * z
    uh = np.fft.fft(u)
    corr = np.fft.ifft(uh * uh if convolution else uh * np.conj(uh)).real
    if linear:
        corr = np.correlate(u, u, "full")[len(u) - 1:]
    nrm2 = float(np.sum(u * u))
    return math.sqrt(nrm2) * np.sqrt(np.abs(np.fft.fft(g(np.clip(corr / nrm2, -1.0, 1.0)))))


MISTAKES = [
    Mistake("convolution", "u ⊛ u (convolution) instead of the autocorrelation u ⋆ u: eq. (11) as printed is right "
            "only for symmetric kernels. ⟨u_i, u_j⟩ = Σ_l u[(l + i − j) mod n] u[l] — in Fourier, |û|², not û².",
            lambda u: _variant(u, convolution=True)),
    Mistake("missing_half", "a wrong constant in g: the ½ is missing; g(z) = ½ (1 − acos(z)/π) z.",
            lambda u: _variant(u, g=lambda z: (1.0 - np.arccos(z) / math.pi) * z)),
    Mistake("two_pi", "a wrong constant in g: acos(z)/π, not acos(z)/(2π); g(z) = ½ (1 − acos(z)/π) z.",
            lambda u: _variant(u, g=lambda z: 0.5 * (1.0 - np.arccos(z) / (2 * math.pi)) * z)),
    Mistake("missing_z", "a wrong g: the factor z is missing; g(z) = ½ (1 − acos(z)/π) z.",
            lambda u: _variant(u, g=lambda z: 0.5 * (1.0 - np.arccos(z) / math.pi))),
    Mistake("squared", "you returned σ² (the eigenvalues of Σ(U)); the exercise asks for σ.",
            lambda u: reference(u) ** 2),
    Mistake("missing_norm", "the factor ‖u‖ in front of the square root is missing: σ = ‖u‖ √|F g(ρ)| "
            "(eq. 11), with ρ normalised by ‖u‖².",
            lambda u: reference(u) / math.sqrt(float(np.sum(u * u)))),
    Mistake("sorted_descending", "wrong ordering: σ must be in trig_basis order (index i ↔ column w_i, frequency "
            "min(i, n − i)), not sorted from largest to smallest.", lambda u: np.sort(reference(u))[::-1]),
    Mistake("sorted_ascending", "wrong ordering: σ must be in trig_basis order (index i ↔ column w_i, frequency "
            "min(i, n − i)), not sorted ascending (as np.linalg.eigvalsh returns eigenvalues).",
            lambda u: np.sort(reference(u))),
    Mistake("frequency_order", "wrong ordering: σ must be in trig_basis order (the sines come last, with "
            "decreasing frequency), not in frequency_order.", lambda u: reference(u)[frequency_order(len(u))]),
    Mistake("linear_correlation", "a non-circular autocorrelation (np.correlate): the rows of the circulant U wrap "
            "around, so ⟨u_i, u_j⟩ = Σ_l u[(l + d) mod n] u[l] with the index taken MODULO n; np.correlate drops "
            "the terms that wrap. Use the FFT, ifft(|û|²), or np.roll.", lambda u: _variant(u, linear=True)),
]

EXERCISE = Exercise(
    name=NAME, position=30, summary="the Fourier weights σ, in the order of trig_basis",
    equation="eq. (11)",
    brief=BRIEF, shape="(n,) where n = len(u)", function="sigma_weights",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    rtol=1e-6,
    default_hint="σ² must be the eigenvalues of Σ(U) with eigenvector w_i = trig_basis(n)[:, i]; check g, "
                 "the autocorrelation, ‖u‖ and the index order.",
    nan_hint="a NaN: acos is defined on [−1, 1] only, and rounding can push ρ = (u ⋆ u)/‖u‖² just outside — "
             "clip ρ to [−1, 1] before arccos; and take |·| (as eq. 11 does) before the square root, since "
             "rounding makes zero eigenvalues slightly negative.",
)
