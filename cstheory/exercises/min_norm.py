"""Exercise ``min_norm``: the minimum-norm coefficients of eq. (5).

The checker compares the student's ``min_norm(A, J, y)`` with
:func:`cstheory.min_norm_coefficients` on Gaussian A (m × n) and J (n × N),
m ≤ n ≤ N (odd and even sizes), and arbitrary y; a mismatch is diagnosed as
feasible but not minimal, in the row space of A J but infeasible (gradient
descent stopped early), or neither.
"""
from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from .._backend import to_numpy
from ..linear import min_norm_coefficients
from ._engine import Exercise, Mistake
from ._strategies import float_arrays, gaussian_strategy

NAME = "min_norm"

STATEMENT = """
Sec. 3 fits the linear generator G̃(c) = J c (J ∈ R^{n×N}, N ≥ n) to m < n measurements
y = A x* by gradient descent on ½‖A J c − y‖² started from c = 0. Gradient descent
converges to the minimum-norm solution of eq. (5):

    ĉ = argmin_c ‖c‖₂  subject to  A J c = y.

Write `min_norm(A, J, y)` returning ĉ. There are many solutions of A J c = y when
N > m (add any vector of the null space of A J); eq. (5) asks for the one of least
norm, which lies in the row space of A J. The checker draws Gaussian A (m × n) and
J (n × N) with m ≤ n ≤ N, odd and even sizes, and arbitrary y, and compares your ĉ
with cstheory.min_norm_coefficients(A, J, y).
"""

BRIEF = """
Write `min_norm(A, J, y)` returning the coefficients ĉ of eq. (5), the solution that gradient
descent on ½‖A J c − y‖² started from c = 0 converges to (Sec. 3): a vector of length N for
A ∈ R^{m×n}, J ∈ R^{n×N} (m ≤ n ≤ N) and y ∈ R^m.
"""

STUB = '''
import numpy as np


def min_norm(A, J, y):
    """The minimum-norm coefficients of eq. (5): argmin ||c||_2 subject to A J c = y.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n)
        The measurement matrix.
    J : numpy.ndarray, shape (n, N)
        The generator matrix (N >= n >= m; A @ J has full row rank m).
    y : numpy.ndarray, shape (m,)
        The measurements.

    Returns
    -------
    c : numpy.ndarray, shape (N,)
        The solution of A J c = y of smallest Euclidean norm (a 1-D array).
    """
    raise NotImplementedError("write the minimum-norm solution of eq. (5)")
'''

#: Largest condition number of A J the checker draws (so that any sound method is accurate to ~1e-10).
MAX_CONDITION = 1e3


def draw(data):
    m = data.draw(st.integers(1, 5), label="m")
    n = data.draw(st.integers(m, 7), label="n")
    N = data.draw(st.integers(n, n + 4), label="N")
    A = data.draw(gaussian_strategy(m, n), label="A")
    J = data.draw(gaussian_strategy(n, N), label="J")
    y = data.draw(float_arrays((m,)), label="y")
    assume(np.linalg.cond(A @ J) < MAX_CONDITION)
    return {"A": A, "J": J, "y": y}


def reference(A, J, y):
    return to_numpy(min_norm_coefficients(A, J, y))


def example():
    A = np.array([[1.0, 0.5, -0.5]])
    J = np.array([[1.0, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, 0.5], [0.5, -0.5, 1.0, 0.0]])
    return {"A": A, "J": J, "y": np.array([1.0])}


def judge(inputs, expected, got):
    """Diagnose a mismatch: is the student's c feasible (A J c = y)? Longer than ĉ? In the row space of A J?

    Returns ``(message, hint, key)``: ``zero`` (c = 0), ``non_minimal`` (feasible, too long), ``gd_not_converged``
    (in the row space of A J — where gradient descent from c = 0 stays — but infeasible: the
    iterations stopped early) or ``infeasible`` (neither)."""
    A, J, y = inputs["A"], inputs["J"], inputs["y"]
    M = A @ J
    residual = float(np.linalg.norm(M @ got - y))
    norm_got, norm_min = float(np.linalg.norm(got)), float(np.linalg.norm(expected))
    if norm_got <= 1e-12 * max(1.0, norm_min):
        return ("Your c is zero, but y ≠ 0: c = 0 solves A J c = y only for y = 0.",
                "return the minimum-norm solution itself, ĉ = (A J)ᵀ w with (A J)(A J)ᵀ w = y (a zero "
                "vector is what an unfinished function returns).", "zero")
    if residual <= 1e-6 * max(1.0, float(np.linalg.norm(y))):
        return (f"Your c solves A J c = y (residual {residual:.2e}) but is NOT the minimum-norm solution: "
                f"‖c‖ = {norm_got:.6g} > ‖ĉ‖ = {norm_min:.6g}.",
                "a non-minimal solution: your c has a component in the null space of A J. Eq. (5) picks the "
                "solution in the row space of A J, ĉ = (A J)ᵀ w with (A J)(A J)ᵀ w = y, i.e. ĉ = (A J)^† y.",
                "non_minimal")
    row_space_part = M.T @ np.linalg.solve(M @ M.T, M @ got)
    outside = float(np.linalg.norm(got - row_space_part))
    if outside <= 1e-6 * max(1.0, norm_got):
        return (f"Your c lies in the row space of A J (as every gradient-descent iterate from c = 0 does) but does "
                f"not solve A J c = y: ‖A J c − y‖ = {residual:.4g}.",
                "gradient descent from c = 0 stopped before it converged: it reaches ĉ only in the limit, and the "
                "direction of the smallest singular value σ_min of A J shrinks by the factor 1 − η σ_min² per "
                "step. Iterate until ‖A J c − y‖ is at rounding level (with η ≤ 1/σ_max²), or solve "
                "(A J)(A J)ᵀ w = y and return ĉ = (A J)ᵀ w.",
                "gd_not_converged")
    return (f"Your c does not solve A J c = y: ‖A J c − y‖ = {residual:.4g} (ĉ has residual "
            f"{float(np.linalg.norm(M @ expected - y)):.2e}), and it is not in the row space of A J.",
            "the constraint of eq. (5) is A J c = y with the PRODUCT A J (m × N), and the minimum-norm solution "
            "lies in the row space of A J; check which linear system you solved.",
            "infeasible")


MISTAKES = [
    Mistake("two_pinvs", "a non-minimal solution: J^†(A^† y) — inverting A and J one after the other — solves "
            "A J c = y but is not the minimum-norm solution of eq. (5). Use the pseudo-inverse of the product, "
            "(A J)^† y.", lambda A, J, y: np.linalg.pinv(J) @ (np.linalg.pinv(A) @ y)),
    Mistake("wrong_system", "the wrong system: you solved J c = Aᵀ y (in the least-squares sense); eq. (5) "
            "constrains A J c = y.", lambda A, J, y: np.linalg.pinv(J) @ (A.T @ y)),
    Mistake("first_gd_step", "(A J)ᵀ y is the direction of the first gradient step from c = 0, not the solution: "
            "ĉ = (A J)ᵀ ((A J)(A J)ᵀ)⁻¹ y.", lambda A, J, y: (A @ J).T @ y),
    Mistake("normal_equations_w", "the wrong normal equations: (A J)(A J)ᵀ w = y gives w; the answer is "
            "ĉ = (A J)ᵀ w, not w.", lambda A, J, y: np.linalg.solve((A @ J) @ (A @ J).T, y)),
]

EXERCISE = Exercise(
    name=NAME, position=20, summary="the minimum-norm coefficients",
    equation="eq. (5)",
    brief=BRIEF, shape="(N,) where N = J.shape[1]", function="min_norm",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    rtol=1e-6, judge=judge,
    default_hint="ĉ = (A J)ᵀ w with (A J)(A J)ᵀ w = y: it solves A J c = y and lies in the row space of A J; "
                 "check both for your c.",
    nan_hint="a NaN or infinity: (A J)(A J)ᵀ (m × m) is invertible for every drawn input, but (A J)ᵀ(A J) "
             "(N × N, rank m < N) is singular — solve with the m × m matrix, or use a pseudo-inverse.",
)
