"""Exercise ``gradient``: the gradient of the two-layer loss with respect to C (eq. 9 with eq. 20).

The checker compares the student's ``gradient(U, C, A, y)`` with
``TwoLayerGenerator(u, k).vjp(C, Aᵀ(A G(C) − y))`` (the library's
hand-derived VJP) on circulant U of arbitrary (mostly asymmetric) kernels,
odd and even n = 2 … 5, k = 2, 4, Gaussian A (m × n, m ≤ n; drawn from a
seed, which keeps shrinking fast) and arbitrary y.
"""
from __future__ import annotations


import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from .._backend import to_numpy
from ..testing import even_sizes, sizes
from ..two_layer import TwoLayerGenerator
from ._engine import Exercise, Mistake
from ._strategies import circulant, float_arrays, gaussian_strategy, kernel_strategy, no_relu_ties
from ._strategies import output_weights as _v

NAME = "gradient"

STATEMENT = """
Gradient descent (eq. 9) on the two-layer generator G(C) = ReLU(U C) v of eq. (3) minimises
the loss L(C) = ½‖A G(C) − y‖² (a sum of squares with the factor ½, not a mean). By the chain
rule and the Jacobian of eq. (20), ∇L(C) = J_G(C)ᵀ Aᵀ (A G(C) − y); reshaped to the shape of
C, its column l is

    ∇_{c_l} L = v_l Uᵀ (ReLU'(U c_l) ∘ r),   r = Aᵀ (A G(C) − y),

so the whole gradient is Uᵀ [(r vᵀ) ∘ 1(U C > 0)], an n × k matrix. Write
`gradient(U, C, A, y)` returning it. The checker draws arbitrary kernels (mostly NOT symmetric,
so U ≠ Uᵀ), odd and even n, Gaussian A and arbitrary y, and compares with cstheory's
hand-derived TwoLayerGenerator(u, k).vjp.
"""

BRIEF = """
Write `gradient(U, C, A, y)` returning the gradient, with respect to C, of the loss
½‖A G(C) − y‖² that gradient descent minimises in eq. (9), for the two-layer generator
G(C) = ReLU(U C) v of eq. (3) (its Jacobian is eq. (20)). The answer has the shape of C,
n × k. U is the n × n circulant matrix of a kernel (in general not symmetric), A is m × n and
y has m entries.
"""

STUB = '''
import numpy as np


def gradient(U, C, A, y):
    """The gradient of L(C) = 0.5 * ||A ReLU(U C) v - y||^2 with respect to C.

    Parameters
    ----------
    U : numpy.ndarray, shape (n, n)
        The convolution matrix (circulant, in general NOT symmetric).
    C : numpy.ndarray, shape (n, k)
        The coefficients [c_1, ..., c_k]; k is even.
    A : numpy.ndarray, shape (m, n)
        The measurement matrix.
    y : numpy.ndarray, shape (m,)
        The measurements.

    Returns
    -------
    grad : numpy.ndarray, shape (n, k)
        grad[j, l] = dL/dC[j, l].

    Conventions
    -----------
    * v = [1, ..., 1, -1, ..., -1] / sqrt(k): the first k/2 entries are +1/sqrt(k).
    * The loss is 0.5 * (sum of squares), not a mean.
    * ReLU'(z) = 1 for z > 0 and 0 for z < 0 (the checker never draws z = 0).
    """
    raise NotImplementedError("write the gradient of the two-layer loss")
'''


def draw(data):
    n = data.draw(sizes(2, 5), label="n")
    k = data.draw(even_sizes(2, 4), label="k")
    m = data.draw(st.integers(1, n), label="m")
    u = data.draw(kernel_strategy(n), label="u")
    C = data.draw(float_arrays((n, k), 2.0, 0.25), label="C")
    A = data.draw(gaussian_strategy(m, n), label="A")
    y = data.draw(float_arrays((m,)), label="y")
    U = circulant(u)
    assume(no_relu_ties(U @ C))
    return {"U": U, "C": C, "A": A, "y": y}


def reference(U, C, A, y):
    gen = TwoLayerGenerator(np.ascontiguousarray(U[:, 0]), C.shape[1])
    residual = A.T @ (A @ to_numpy(gen(C)) - y)
    return to_numpy(gen.vjp(C, residual))


def example():
    u = np.array([1.0, 0.5, -0.25])
    return {"U": circulant(u), "C": np.array([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25]]),
            "A": np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.5]]), "y": np.array([1.0, -1.0])}


# -- classic mistakes ------------------------------------------------------------
def _alternating(k):
    """v = [+1, −1, +1, −1, …]/√k: the classic misreading of eq. (3)'s two halves."""
    return np.array([(-1.0) ** i for i in range(k)]) / np.sqrt(k)


def _grad(U, C, A, y, left=None, mask=None, v=None, sign=1.0, scale=1.0, residual_sign=1.0, forward_v=None):
    """left @ [(r vᵀ) ∘ mask(U C)] with r = Aᵀ(A G − y); each keyword swaps in one mistake."""
    k = C.shape[1]
    v = _v(k) if v is None else v
    Z = U @ C
    x = np.maximum(Z, 0.0) @ (_v(k) if forward_v is None else forward_v)
    r = residual_sign * (A.T @ (A @ x - y))
    M = (Z > 0).astype(float) if mask is None else mask(Z)
    left = U.T if left is None else left
    return sign * scale * (left @ (np.outer(r, v) * M))


MISTAKES = [
    Mistake("missing_Ut", "missing Uᵀ: you multiplied by U; the chain rule through z = U c_l brings Uᵀ "
            "(∂z/∂c_l = U, so ∂L/∂c_l = Uᵀ ∂L/∂z).", lambda U, C, A, y: _grad(U, C, A, y, left=U)),
    Mistake("missing_mask", "missing ReLU mask: the derivative of ReLU(U c_l) is diag(1(U c_l > 0)) — multiply "
            "(r vᵀ) entrywise by 1(U C > 0) before applying Uᵀ.",
            lambda U, C, A, y: _grad(U, C, A, y, mask=np.ones_like)),
    Mistake("relu_not_derivative", "ReLU instead of ReLU': you multiplied by ReLU(U C) itself; the chain rule "
            "needs its derivative, the 0/1 mask 1(U C > 0).",
            lambda U, C, A, y: _grad(U, C, A, y, mask=lambda Z: np.maximum(Z, 0.0))),
    Mistake("sign", "a sign error: the residual is A G(C) − y (prediction minus data), so ∇L = +J_Gᵀ Aᵀ (A G(C) − y); "
            "you returned the negative gradient.", lambda U, C, A, y: _grad(U, C, A, y, sign=-1.0)),
    Mistake("factor_two", "a factor 2: the loss is ½‖A G(C) − y‖², whose gradient has no factor 2 (you "
            "differentiated ‖A G(C) − y‖² without the ½).", lambda U, C, A, y: _grad(U, C, A, y, scale=2.0)),
    Mistake("mean_loss", "a mean instead of a sum: your gradient is 1/m times the right one, the gradient of "
            "(1/2m)‖A G(C) − y‖². The loss of eq. (9) is the sum ½‖A G(C) − y‖², not a mean over the m "
            "measurements: drop the division by m.",
            lambda U, C, A, y: _grad(U, C, A, y, scale=1.0 / A.shape[0])),
    Mistake("missing_v", "missing v: column l of the gradient carries the factor v_l = ±1/√k of G(C) = ReLU(UC) v.",
            lambda U, C, A, y: _grad(U, C, A, y, v=np.ones(C.shape[1]))),
    Mistake("mask_from_C", "the ReLU mask taken from C: the ReLU acts on the pre-activation U C, so its derivative "
            "is the mask of U C > 0, not of C > 0.",
            lambda U, C, A, y: _grad(U, C, A, y, mask=lambda Z: (C > 0).astype(float))),
    Mistake("v_alternating", "an alternating v = [+1, −1, +1, −1, …]/√k (in G(C) and in the gradient): v has its "
            "first k/2 entries +1/√k and its last k/2 entries −1/√k (two halves, eq. 3).",
            lambda U, C, A, y: _grad(U, C, A, y, v=_alternating(C.shape[1]), forward_v=_alternating(C.shape[1]))),
]

EXERCISE = Exercise(
    name=NAME, position=40, summary="∇_C ½‖A ReLU(UC)v − y‖²",
    equation="eq. (9), (20)",
    brief=BRIEF, shape="(n, k), the shape of C", function="gradient",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    default_hint="∇L = Uᵀ [(r vᵀ) ∘ 1(U C > 0)] with r = Aᵀ (A ReLU(U C) v − y).",
    nan_hint="a NaN or infinity: the gradient only multiplies and adds finite numbers (no division, no root) — "
             "look for a division (by a norm, by m) or an uninitialised array (np.empty) in your code.",
)
