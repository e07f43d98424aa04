"""Exercise ``theorem1_bound``: the right-hand side of eq. (7) without the constant C.

The checker compares the student's ``theorem1_bound(J, x, m)`` with
:func:`cstheory.theorem1_bound` on Gaussian J (n × N, N ≥ n, odd and even
sizes, condition number below 1e3), arbitrary x and 1 ≤ m ≤ 3n/2 + 1; the
comparison is purely relative (the bound is a positive number of any size).
"""
from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from .. import theorem1_bound as library_theorem1_bound
from ._engine import Exercise, Mistake
from ._strategies import float_arrays, gaussian_strategy

NAME = "theorem1_bound"

STATEMENT = """
Theorem 1 bounds the error of the minimum-norm estimate x̂ = J ĉ of eq. (5) from m Gaussian
measurements: with w_1, …, w_n the left singular vectors of J ∈ R^{n×N} and σ_1 ≥ … ≥ σ_n its
singular values, with high probability

    ‖x̂ − x*‖² ≤ C ( Σ_{i=1}^{n} ⟨w_i, x*⟩² / σ_i² ) Σ_{i > 2m/3} σ_i²      (7)

(indices 1-based, as in the paper). The first factor measures how smooth x* is with respect
to J; the second is the energy of the singular values beyond the first 2m/3. Write
`theorem1_bound(J, x, m)` returning the right-hand side of eq. (7) WITHOUT the constant C,
as a float. The checker draws Gaussian J with N ≥ n (full rank, so every σ_i > 0), odd and
even n, arbitrary x and m, and compares with cstheory.theorem1_bound relatively.
"""

BRIEF = """
Write `theorem1_bound(J, x, m)` returning the right-hand side of the error bound of Theorem 1,
eq. (7), without the constant C, as a float, for a generator matrix J ∈ R^{n×N}, a signal
x ∈ R^n and m measurements.
"""

STUB = '''
import numpy as np


def theorem1_bound(J, x, m):
    """The right-hand side of eq. (7) without the constant C.

    Parameters
    ----------
    J : numpy.ndarray, shape (n, N)
        The generator matrix (N >= n; full rank: every singular value is > 0).
    x : numpy.ndarray, shape (n,)
        The signal x*.
    m : int
        The number of measurements.

    Returns
    -------
    bound : float
        (sum_i <w_i, x>^2 / sigma_i^2) * (sum over i > 2m/3 of sigma_i^2), with
        sigma_1 >= ... >= sigma_n and the paper's 1-based index i.
    """
    raise NotImplementedError("write the right-hand side of eq. (7)")
'''

#: Largest condition number of J the checker draws.
MAX_CONDITION = 1e3


def draw(data):
    n = data.draw(st.integers(1, 7), label="n")
    N = data.draw(st.integers(n, n + 4), label="N")
    J = data.draw(gaussian_strategy(n, N), label="J")
    x = data.draw(float_arrays((n,)), label="x")
    m = data.draw(st.integers(1, (3 * n) // 2 + 1), label="m")
    assume(np.linalg.cond(J) < MAX_CONDITION)
    return {"J": J, "x": x, "m": m}


def reference(J, x, m):
    return np.float64(library_theorem1_bound(J, x, m))


def example():
    return {"J": np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.5]]), "x": np.array([1.0, 1.0, 1.0]),
            "m": 2}


# -- classic mistakes ------------------------------------------------------------
def _bound(J, x, m, tail=None, energy_power=2, tail_power=2, coeff_power=2, ascending=False):
    """(Σ ⟨w_i, x⟩^coeff_power / σ_i^energy_power) · Σ_{tail} σ_i^tail_power; ``tail(s, m)`` picks the tail."""
    W, s, _ = np.linalg.svd(J)
    energy = float(np.sum((W.T @ x) ** coeff_power / s**energy_power))
    s_tail = np.sort(s) if ascending else s
    picked = s_tail[(2 * m) // 3:] if tail is None else tail(s_tail, m)
    return energy * float(np.sum(picked**tail_power))


MISTAKES = [
    Mistake("tail_one_late", "the tail starts one index late: i > 2m/3 is 1-based, so in 0-based sorted indices "
            "the tail is s[⌊2m/3⌋:] — you dropped σ at 0-based index ⌊2m/3⌋ (e.g. s[2m//3 + 1:] or "
            "s[ceil(2m/3):]).", lambda J, x, m: _bound(J, x, m, tail=lambda s, m: s[(2 * m) // 3 + 1:])),
    Mistake("tail_one_early", "the tail starts one index early: the 1-based i > 2m/3 is the 0-based slice "
            "s[⌊2m/3⌋:]; you also included 0-based index ⌊2m/3⌋ − 1.",
            lambda J, x, m: _bound(J, x, m, tail=lambda s, m: s[max((2 * m) // 3 - 1, 0):])
            if (2 * m) // 3 >= 1 else None),
    Mistake("tail_after_m", "the tail sum runs over i > 2m/3, not i > m.",
            lambda J, x, m: _bound(J, x, m, tail=lambda s, m: s[m:])),
    Mistake("head_not_tail", "you summed the LEADING singular values (i ≤ 2m/3); eq. (7) has the tail "
            "Σ_{i > 2m/3} σ_i², the energy the m measurements cannot capture.",
            lambda J, x, m: _bound(J, x, m, tail=lambda s, m: s[:(2 * m) // 3])),
    Mistake("all_sigmas", "the second factor is the TAIL Σ_{i > 2m/3} σ_i², not the sum over all i.",
            lambda J, x, m: _bound(J, x, m, tail=lambda s, m: s)),
    Mistake("tail_not_squared", "the tail sums σ_i², squared: Σ_{i > 2m/3} σ_i².",
            lambda J, x, m: _bound(J, x, m, tail_power=1)),
    Mistake("energy_sigma_not_squared", "the first factor divides by σ_i², squared: Σ ⟨w_i, x⟩² / σ_i².",
            lambda J, x, m: _bound(J, x, m, energy_power=1)),
    Mistake("ascending_order", "σ must be sorted DECREASINGLY (σ_1 ≥ … ≥ σ_n) before the tail i > 2m/3 is taken: "
            "np.linalg.eigh / eigvalsh return eigenvalues in ascending order.",
            lambda J, x, m: _bound(J, x, m, ascending=True)),
]

EXERCISE = Exercise(
    name=NAME, position=60, summary="the right-hand side of Theorem 1 without C",
    equation="eq. (7)",
    brief=BRIEF, shape="() — a float", function="theorem1_bound",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    rtol=1e-7, atol_floor=1e-12,
    default_hint="(Σ_i ⟨w_i, x⟩²/σ_i²) · Σ_{i > 2m/3} σ_i² with σ sorted decreasingly, w_i = U[:, i] of "
                 "np.linalg.svd(J), and the 1-based i > 2m/3 ↔ the 0-based slice [⌊2m/3⌋:].",
    nan_hint="a NaN or infinity: every σ_i of the drawn J is positive — look for a division by a singular value "
             "you padded with zeros, or for singular values taken from a square-root of slightly negative "
             "eigenvalues.",
)
