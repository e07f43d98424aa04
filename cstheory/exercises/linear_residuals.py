"""Exercise ``linear_residuals``: the residuals of gradient descent on a linear problem, eq. (39).

The checker compares the student's ``linear_residuals(J, r0, step_size, steps)``
with :func:`cstheory.linear_residuals` on arbitrary J (wide, square and tall,
odd and even sizes, rank-deficient ones included), step sizes
η = c/σ_max² with c ∈ [0.05, 1.9] and unsorted lists of iteration numbers.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .. import linear_residuals as library_linear_residuals
from .._backend import to_numpy
from ._engine import Exercise, Mistake
from ._strategies import float_arrays

NAME = "linear_residuals"

STATEMENT = """
Near its initialisation the network behaves like its linearization (App. C): gradient descent
on the linear least-squares problem ½‖r̃(θ)‖², r̃(θ) = r₀ + J (θ − θ₀), with step size η,

    θ̃_{t+1} = θ̃_t − η Jᵀ r̃_t,   so   r̃_{t+1} = (I − η J Jᵀ) r̃_t,

has the residuals of eq. (39) (Proposition 2):

    r̃_t = Σ_i (1 − η σ_i²)^t w_i ⟨w_i, r₀⟩,

with w_i, σ_i the left singular vectors and singular values of J. The sum runs over a
COMPLETE orthonormal basis w_1, …, w_m of R^m: when J has fewer columns than rows (or is rank
deficient), the directions outside the range of J have σ_i = 0 and keep their part of r₀.
Write `linear_residuals(J, r0, step_size, steps)` returning the residuals r̃_t for every t in
`steps`, one row each, in the order given. The checker draws wide, square and tall J (odd
and even sizes), step sizes below 2/σ_max² and unsorted iteration numbers, and compares with
cstheory.linear_residuals.
"""

BRIEF = """
Write `linear_residuals(J, r0, step_size, steps)` returning the residuals r̃_t of gradient
descent with step size η on the linearized least-squares problem ½‖r₀ + J (θ − θ₀)‖² started at
θ₀ (App. C, eq. (39)), one row per entry t of `steps`, in the order given: a len(steps) × m
array for J ∈ R^{m×N}.
"""

STUB = '''
import numpy as np


def linear_residuals(J, r0, step_size, steps):
    """The residuals of gradient descent on a linear least-squares problem, eq. (39).

    Parameters
    ----------
    J : numpy.ndarray, shape (m, N)
        The Jacobian of the linear problem (m may be larger or smaller than N).
    r0 : numpy.ndarray, shape (m,)
        The initial residual r_0.
    step_size : float
        The step size eta (the checker keeps eta * sigma_max**2 below 2).
    steps : list of int
        Iteration numbers t >= 0, in any order, possibly repeated.

    Returns
    -------
    R : numpy.ndarray, shape (len(steps), m)
        Row j is the residual after steps[j] iterations of gradient descent
        started at theta_0 (where the residual is r_0).
    """
    raise NotImplementedError("write the residuals of eq. (39)")
'''


def draw(data):
    m = data.draw(st.integers(1, 6), label="m")
    N = data.draw(st.integers(1, 6), label="N")
    J = data.draw(float_arrays((m, N)), label="J")
    r0 = data.draw(float_arrays((m,)), label="r0")
    c = data.draw(st.floats(0.05, 1.9), label="eta * sigma_max**2")
    smax = float(np.linalg.norm(J, 2)) if J.size else 0.0
    step_size = c / smax**2 if smax > 1e-3 else c
    steps = data.draw(st.lists(st.integers(0, 30), min_size=1, max_size=5), label="steps")
    return {"J": J, "r0": r0, "step_size": float(step_size), "steps": steps}


def reference(J, r0, step_size, steps):
    return to_numpy(library_linear_residuals(J, r0, step_size, list(steps)))


def example():
    return {"J": np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]]), "r0": np.array([1.0, 1.0, 1.0]),
            "step_size": 0.5, "steps": [2, 0, 1]}


# -- classic mistakes ------------------------------------------------------------
def _residuals(J, r0, step_size, steps, power=2, factor=1.0, sign=-1.0, shift=0, complete=True, order=None):
    """Σ_i (1 + sign·factor·η σ_i^power)^(t + shift) w_i ⟨w_i, r₀⟩ over the thin SVD, plus (if ``complete``)
    the part of r₀ outside the range of J."""
    W, s, _ = np.linalg.svd(J, full_matrices=False)
    coeff = W.T @ r0
    steps = list(steps) if order is None else order(list(steps))
    rows = []
    for t in steps:
        decay = (1.0 + sign * factor * step_size * s**power) ** (t + shift)
        row = W @ (decay * coeff)
        if complete:
            row = row + (r0 - W @ coeff)
        rows.append(row)
    return np.array(rows)


MISTAKES = [
    Mistake("thin_svd_only", "the part of r₀ outside the range of J is missing: you summed eq. (39) over the thin "
            "SVD only. When J has more rows than columns (or is rank deficient) the directions w_i with σ_i = 0 "
            "keep their part of r₀ ((1 − η·0)^t = 1): add r₀ − W Wᵀ r₀, or use a complete basis.",
            lambda J, r0, step_size, steps: _residuals(J, r0, step_size, steps, complete=False)),
    Mistake("sigma_not_squared", "(1 − η σ_i)^t: the factor is 1 − η σ_i², with the singular value SQUARED (the "
            "eigenvalues of J Jᵀ are σ_i²).", lambda J, r0, step_size, steps: _residuals(J, r0, step_size, steps,
                                                                                      power=1)),
    Mistake("factor_two", "(1 − 2η σ_i²)^t: the loss is ½‖r̃‖², whose gradient is Jᵀ r̃ without a factor 2, so one "
            "step multiplies by 1 − η σ_i².",
            lambda J, r0, step_size, steps: _residuals(J, r0, step_size, steps, factor=2.0)),
    Mistake("plus_sign", "(1 + η σ_i²)^t: gradient DESCENT subtracts η Jᵀ r̃, so the factor is 1 − η σ_i².",
            lambda J, r0, step_size, steps: _residuals(J, r0, step_size, steps, sign=1.0)),
    Mistake("off_by_one", "the exponent is off by one: after t steps the factor is (1 − η σ_i²)^t, so the row "
            "for t = 0 is r₀ itself.", lambda J, r0, step_size, steps: _residuals(J, r0, step_size, steps, shift=1)),
    Mistake("sorted_steps", "the rows follow the ORDER of `steps` (which need not be sorted): row j belongs to "
            "t = steps[j]; you sorted them.",
            lambda J, r0, step_size, steps: _residuals(J, r0, step_size, steps, order=sorted)),
    Mistake("transposed", "you returned the transpose: one ROW per entry of `steps`, shape (len(steps), m).",
            lambda J, r0, step_size, steps: _residuals(J, r0, step_size, steps).T),
]

EXERCISE = Exercise(
    name=NAME, position=50, summary="the residuals of gradient descent on the linearized model",
    equation="eq. (39)",
    brief=BRIEF, shape="(len(steps), m) where J is m × N", function="linear_residuals",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    default_hint="r̃_t = Σ_i (1 − η σ_i²)^t w_i ⟨w_i, r₀⟩ over a complete basis; check it against t steps of "
                 "r ← r − η J Jᵀ r.",
    nan_hint="a NaN or infinity: with η σ_max² < 2 every factor |1 − η σ_i²| is below 1 (or equal to 1 for "
             "σ_i = 0) — look for a division by σ_i (which can be 0) or a power of a negative number with a "
             "non-integer exponent.",
)
