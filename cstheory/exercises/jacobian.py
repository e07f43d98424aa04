"""Exercise ``jacobian``: the Jacobian of the two-layer generator, eq. (20).

The checker compares the student's ``jacobian(U, C)`` with
:meth:`cstheory.TwoLayerGenerator.jacobian` on circulant U of arbitrary
(mostly asymmetric) kernels, odd and even n, and k = 2, 4.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import assume

from .._backend import to_numpy
from ..testing import even_sizes, sizes
from ..two_layer import TwoLayerGenerator
from ._engine import Exercise, Mistake
from ._strategies import circulant, float_arrays, kernel_strategy, no_relu_ties
from ._strategies import output_weights as _v

NAME = "jacobian"

STATEMENT = """
The two-layer generator of eq. (3) is G(C) = ReLU(U C) v, with U ∈ R^{n×n} the
circulant matrix of a convolution kernel u (U x = u ⊛ x), trainable coefficients
C = [c_1, …, c_k] ∈ R^{n×k}, and the fixed output weights v = [1, …, 1, −1, …, −1]/√k.
Its Jacobian with respect to θ = vec(C) = [c_1; …; c_k] is eq. (20): the transposed
Jacobian J_Gᵀ(C) stacks the blocks v_l Uᵀ diag(ReLU'(U c_l)), l = 1 … k, so

    J_G(C) = [v_1 diag(ReLU'(U c_1)) U, …, v_k diag(ReLU'(U c_k)) U] ∈ R^{n×nk}.

Write `jacobian(U, C)` returning J_G(C) (not its transpose), with the columns for c_1
first, then c_2, and so on. The checker draws arbitrary kernels — most of them NOT
symmetric, so U ≠ Uᵀ — with odd and even n, and compares your matrix with
cstheory.TwoLayerGenerator(u, k).jacobian(C).
"""

BRIEF = """
Write `jacobian(U, C)` returning the Jacobian J_G(C) of the two-layer generator G(C) = ReLU(U C) v
of eq. (3) with respect to θ = vec(C) (the columns c_1, …, c_k of C stacked), as in eq. (20):
an n × nk matrix. U is the n × n circulant matrix of a kernel (in general not symmetric),
C ∈ R^{n×k} with k even, and v the fixed output weights of eq. (3).
"""

STUB = '''
import numpy as np


def jacobian(U, C):
    """The Jacobian J_G(C) of G(C) = ReLU(U C) v with respect to vec(C), eq. (20).

    Parameters
    ----------
    U : numpy.ndarray, shape (n, n)
        The convolution matrix (circulant, in general NOT symmetric: U != U.T).
    C : numpy.ndarray, shape (n, k)
        The coefficients [c_1, ..., c_k]; k is even.

    Returns
    -------
    J : numpy.ndarray, shape (n, n * k)
        Column l*n + j (0-based) is dG/dC[j, l]: the parameters are vectorised
        column by column, theta = [c_1; c_2; ...; c_k].

    Conventions
    -----------
    * v = [1, ..., 1, -1, ..., -1] / sqrt(k): the first k/2 entries are +1/sqrt(k),
      the last k/2 are -1/sqrt(k).
    * ReLU'(z) = 1 for z > 0 and 0 for z < 0 (the checker never draws z = 0).
    """
    raise NotImplementedError("write the Jacobian of eq. (20)")
'''


def draw(data):
    n = data.draw(sizes(2, 7), label="n")
    k = data.draw(even_sizes(2, 4), label="k")
    u = data.draw(kernel_strategy(n), label="u")
    C = data.draw(float_arrays((n, k), 2.0, 0.25), label="C")
    U = circulant(u)
    assume(no_relu_ties(U @ C))
    return {"U": U, "C": C}


def reference(U, C):
    gen = TwoLayerGenerator(np.ascontiguousarray(U[:, 0]), C.shape[1])
    return to_numpy(gen.jacobian(C))


def example():
    u = np.array([1.0, 0.5, -0.25])
    return {"U": circulant(u), "C": np.array([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25]])}


# -- classic mistakes (recognised in the hint) ---------------------------------
def _blocks(U, C, left=None, mask_matrix=None, act=None, v=None):
    """[v_l diag(act(mask_matrix c_l)) left] for l = 1..k."""
    left = U if left is None else left
    mask_matrix = U if mask_matrix is None else mask_matrix
    k = C.shape[1]
    v = _v(k) if v is None else v
    act = (lambda z: (z > 0).astype(float)) if act is None else act
    Z = mask_matrix @ C
    return np.concatenate([v[l] * act(Z[:, l])[:, None] * left for l in range(k)], axis=1)


def _alternating(k):
    """v = [+1, −1, +1, −1, …]/√k: the classic misreading of eq. (3)'s two halves."""
    return np.array([(-1.0) ** i for i in range(k)]) / math.sqrt(k)


def _row_major(U, C):
    J = _blocks(U, C)
    n, k = C.shape
    # column j*k + l instead of l*n + j: vec of the rows of C
    return J.reshape(n, k, n).transpose(0, 2, 1).reshape(n, n * k)


MISTAKES = [
    Mistake("Ut_block", "Uᵀ where U belongs: block l is v_l diag(ReLU'(U c_l)) U — U multiplies from the right "
            "(eq. 20 prints the TRANSPOSED Jacobian, whose blocks have Uᵀ on the left).",
            lambda U, C: _blocks(U, C, left=U.T)),
    Mistake("Ut_mask", "Uᵀ where U belongs in the mask: the ReLU mask is ReLU'(U c_l), computed with U, not Uᵀ "
            "(the block itself, diag(·) U, is right).", lambda U, C: _blocks(U, C, mask_matrix=U.T)),
    Mistake("Ut_both", "Uᵀ where U belongs, both in the mask and in the block: G(C) = ReLU(U C) v uses U itself, "
            "so block l is v_l diag(1(U c_l > 0)) U.", lambda U, C: _blocks(U, C, left=U.T, mask_matrix=U.T)),
    Mistake("row_major", "row-major vec order: your columns are ordered (j, l) ↦ j·k + l, i.e. by the ROWS of C. "
            "θ = [c_1; …; c_k] stacks the COLUMNS: column l·n + j belongs to C[j, l] (in NumPy, C.T.reshape(-1) "
            "or C.reshape(-1, order='F')).", _row_major),
    Mistake("missing_v", "missing v_l: every block is multiplied by v_l = ±1/√k (first half +, second half −).",
            lambda U, C: _blocks(U, C, v=np.ones(C.shape[1]))),
    Mistake("v_without_sqrt", "v_l without the 1/√k: v = [1, …, 1, −1, …, −1]/√k.",
            lambda U, C: _blocks(U, C, v=_v(C.shape[1]) * math.sqrt(C.shape[1]))),
    Mistake("v_signs_swapped", "the signs of v are swapped: the FIRST k/2 entries of v are +1/√k.",
            lambda U, C: _blocks(U, C, v=-_v(C.shape[1]))),
    Mistake("relu_not_derivative", "ReLU instead of ReLU': the chain rule puts the DERIVATIVE 1(U c_l > 0) on the "
            "diagonal, not ReLU(U c_l).", lambda U, C: _blocks(U, C, act=lambda z: np.maximum(z, 0.0))),
    Mistake("transposed", "you returned the transpose J_Gᵀ (nk × n), which is what eq. (20) prints; return J_G "
            "(n × nk).", lambda U, C: _blocks(U, C).T),
    Mistake("mask_from_C", "the ReLU mask taken from C: the ReLU acts on the pre-activation U c_l, so the mask is "
            "1(U c_l > 0), not 1(c_l > 0).", lambda U, C: _blocks(U, C, mask_matrix=np.eye(U.shape[0]))),
    Mistake("v_alternating", "an alternating v = [+1, −1, +1, −1, …]/√k: v has its first k/2 entries +1/√k and its "
            "last k/2 entries −1/√k (two halves, eq. 3).",
            lambda U, C: _blocks(U, C, v=_alternating(C.shape[1]))),
]

EXERCISE = Exercise(
    name=NAME, position=10, summary="the Jacobian of ReLU(UC)v",
    equation="eq. (20)",
    brief=BRIEF, shape="(n, n·k) where U is n × n and C is n × k", function="jacobian",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    default_hint="block l (columns l·n … l·n + n − 1) must equal v_l · diag(1(U c_l > 0)) · U.",
    nan_hint="a NaN or infinity: every entry of J_G is v_l · U[i, j] or 0 — look for a division (by a norm "
             "that can be 0, by U c_l) or an uninitialised array (np.empty) in your code.",
)
