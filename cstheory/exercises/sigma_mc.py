"""Exercise ``sigma_mc``: the Monte-Carlo estimate of Σ(U) = E[J Jᵀ] (App. B).

The checker compares the student's ``sigma_mc(U, draws)`` with the average of
``TwoLayerGenerator(u, k).gram(C)`` (the library's J_G(C) J_G(C)ᵀ) over the
given draws C, on circulant U of arbitrary (mostly asymmetric) kernels, odd
and even n = 2 … 5, k = 2, 4 and S = 2 … 4 draws.  The draws are arguments,
so the check is deterministic.
"""
from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from .._backend import to_numpy
from ..testing import even_sizes, sizes
from ..two_layer import TwoLayerGenerator
from ._engine import Exercise, Mistake
from ._strategies import circulant, float_arrays, kernel_strategy, no_relu_ties

NAME = "sigma_mc"

STATEMENT = """
App. B studies the expected Gram matrix of the two-layer generator G(C) = ReLU(U C) v of
eq. (3) over Gaussian coefficients,

    Σ(U) = E[ J_G(C) J_G(C)ᵀ ],   C with iid N(0, 1) entries,

where J_G(C) ∈ R^{n×nk} is the Jacobian of eq. (20). Its eigenvalues are the σ_i² of eq. (11).
Σ(U) is estimated by Monte Carlo, averaging over S independent draws C_1, …, C_S:

    Σ̂ = (1/S) Σ_s J_G(C_s) J_G(C_s)ᵀ,   J_G(C) J_G(C)ᵀ = Σ_l v_l² diag(m_l) U Uᵀ diag(m_l),

with the ReLU masks m_l = 1(U c_l > 0) and v_l² = 1/k, i.e. J_G J_Gᵀ = (U Uᵀ) ∘ (M Mᵀ)/k with
M = 1(U C > 0). Write `sigma_mc(U, draws)` returning Σ̂, an n × n matrix, for the S draws
given as `draws[s]` = C_s (so the check is deterministic). The checker draws arbitrary kernels
(mostly NOT symmetric, so U ≠ Uᵀ), odd and even n, k = 2, 4 and S = 2 … 4, and compares
with the average of cstheory's TwoLayerGenerator(u, k).gram(C_s).
"""

BRIEF = """
Write `sigma_mc(U, draws)` returning the Monte-Carlo estimate of the expected Gram matrix
Σ(U) = E[J_G(C) J_G(C)ᵀ] of App. B, for the two-layer generator G(C) = ReLU(U C) v of eq. (3)
(J_G is its Jacobian, eq. (20)): the average over the S draws C_s = draws[s] (each n × k) of
the sample they give, an n × n matrix. U is the n × n circulant matrix of a kernel (in
general not symmetric).
"""

STUB = '''
import numpy as np


def sigma_mc(U, draws):
    """The Monte-Carlo estimate of Sigma(U) = E[J_G(C) J_G(C)^T] from the draws C_s = draws[s].

    Parameters
    ----------
    U : numpy.ndarray, shape (n, n)
        The convolution matrix (circulant, in general NOT symmetric).
    draws : numpy.ndarray, shape (S, n, k)
        S draws of the coefficients C; k is even.

    Returns
    -------
    Sigma_hat : numpy.ndarray, shape (n, n)
        The average over the S draws.

    Conventions
    -----------
    * v = [1, ..., 1, -1, ..., -1] / sqrt(k): the first k/2 entries are +1/sqrt(k).
    * ReLU'(z) = 1 for z > 0 and 0 for z < 0 (the checker never draws z = 0).
    """
    raise NotImplementedError("write the Monte-Carlo estimate of Sigma(U)")
'''


def draw(data):
    n = data.draw(sizes(2, 5), label="n")
    k = data.draw(even_sizes(2, 4), label="k")
    S = data.draw(st.integers(2, 4), label="S")
    u = data.draw(kernel_strategy(n), label="u")
    draws = data.draw(float_arrays((S, n, k), 2.0, 0.25), label="draws")
    U = circulant(u)
    assume(all(no_relu_ties(U @ C) for C in draws))
    return {"U": U, "draws": draws}


def reference(U, draws):
    gen = TwoLayerGenerator(np.ascontiguousarray(U[:, 0]), draws.shape[2])
    return np.mean([to_numpy(gen.gram(C)) for C in draws], axis=0)


def example():
    U = circulant(np.array([1.0, 0.5, -0.25]))
    draws = np.array([[[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25]], [[-0.5, 1.0], [1.0, -2.0], [0.25, 1.5]]])
    return {"U": U, "draws": draws}


# -- classic mistakes ------------------------------------------------------------
def _estimate(U, draws, gram=None, mask_matrix=None, weight=None, divide=None, only_first=False):
    """Σ_s (gram ∘ M_s M_sᵀ) · weight / divide with M_s = 1(mask_matrix C_s > 0); each keyword swaps in one
    mistake (defaults: U Uᵀ, U, 1/k, S)."""
    S, _, k = draws.shape
    gram = U @ U.T if gram is None else gram
    mask_matrix = U if mask_matrix is None else mask_matrix
    weight = 1.0 / k if weight is None else weight
    chosen = [draws[0]] * S if only_first else list(draws)
    total = sum(gram * ((mask_matrix @ C > 0).astype(float) @ (mask_matrix @ C > 0).astype(float).T)
                for C in chosen)
    return total * weight / (S if divide is None else divide)


def _jtj(U, draws):
    """The average of J_Gᵀ J_G (nk × nk) instead of J_G J_Gᵀ."""
    S, n, k = draws.shape
    v = np.r_[np.ones(k // 2), -np.ones(k // 2)] / np.sqrt(k)
    total = 0.0
    for C in draws:
        J = np.concatenate([v[l] * (U @ C[:, l] > 0).astype(float)[:, None] * U for l in range(k)], axis=1)
        total = total + J.T @ J
    return total / S


MISTAKES = [
    Mistake("n_minus_one", "dividing by S − 1: the Monte-Carlo estimate of a mean is the plain average "
            "(1/S) Σ_s J_G(C_s) J_G(C_s)ᵀ; S − 1 belongs to the unbiased variance, not to an average.",
            lambda U, draws: _estimate(U, draws, divide=draws.shape[0] - 1)),
    Mistake("sum_not_mean", "a sum over the draws, not their average: divide by the number of draws S.",
            lambda U, draws: _estimate(U, draws, divide=1)),
    Mistake("missing_v_squared", "the factor v_l² = 1/k is missing: J_G J_Gᵀ = Σ_l v_l² diag(m_l) U Uᵀ diag(m_l) "
            "= (U Uᵀ) ∘ (M Mᵀ)/k, since block l of J_G carries v_l = ±1/√k.",
            lambda U, draws: _estimate(U, draws, weight=1.0)),
    Mistake("Ut", "Uᵀ where U belongs: G(C) = ReLU(U C) v, so the masks are m_l = 1(U c_l > 0), computed with U, "
            "and the blocks of J_G are v_l diag(m_l) U; you used Uᵀ (in general U ≠ Uᵀ).",
            lambda U, draws: _estimate(U, draws, gram=U.T @ U, mask_matrix=U.T)),
    Mistake("mask_from_C", "the ReLU mask taken from C: the ReLU acts on the pre-activation U c_l, so the masks are "
            "m_l = 1(U c_l > 0), not 1(c_l > 0).",
            lambda U, draws: _estimate(U, draws, mask_matrix=np.eye(U.shape[0]))),
    Mistake("one_draw_reused", "one draw reused: every term of your average uses the first draw C_1; the estimate "
            "averages J_G(C_s) J_G(C_s)ᵀ over all the draws C_s = draws[s].",
            lambda U, draws: _estimate(U, draws, only_first=True)),
    Mistake("JtJ", "J_Gᵀ J_G (nk × nk) instead of J_G J_Gᵀ (n × n): Σ(U) = E[J_G J_Gᵀ] is the Gram matrix in the "
            "signal space, of the size of U.", _jtj),
]

EXERCISE = Exercise(
    name=NAME, position=35, summary="the Monte-Carlo estimate of Σ(U) = E[J Jᵀ]", equation="App. B",
    brief=BRIEF, shape="(n, n) where U is n × n", function="sigma_mc",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    default_hint="Σ̂ = (1/S) Σ_s (U Uᵀ) ∘ (M_s M_sᵀ)/k with M_s = 1(U C_s > 0): check the masks, the factor 1/k "
                 "and the average over the draws.",
    nan_hint="a NaN or infinity: the estimate only multiplies, adds and divides by S ≥ 2 — look for a division "
             "by a norm that can be 0, or an uninitialised array (np.empty).",
)
