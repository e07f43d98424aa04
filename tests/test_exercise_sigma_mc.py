"""Exercise ``sigma_mc`` (cstheory/exercises/sigma_mc.py): the teacher's solution is accepted, the stub is "not
implemented", and each classic mistake, written as a student writes it, is rejected with ITS OWN hint.

The teacher builds J_G(C) entry by entry from eq. (20) and averages J Jᵀ over the draws, independently of the
library's Gram formula (U Uᵀ) ∘ (M Mᵀ)/k."""
import math

import numpy as np
import pytest

from cstheory import exercises

from _exercise_students import assert_every_mistake_has_a_student_and_its_own_hint, assert_student_gets_its_own_hint

NAME = "sigma_mc"


def _v(k):
    return np.array([1.0] * (k // 2) + [-1.0] * (k // 2)) / math.sqrt(k)


def _jacobian(U, C, v=None, mask_with=None, left=None):
    """J_G(C) entry by entry: J[i, l·n + j] = v_l 1((U c_l)_i > 0) U[i, j]."""
    n, k = C.shape
    v = _v(k) if v is None else v
    mask_with = U if mask_with is None else mask_with
    left = U if left is None else left
    J = np.zeros((n, n * k))
    for l in range(k):
        z = mask_with @ C[:, l]
        for i in range(n):
            if z[i] > 0:
                J[i, l * n:(l + 1) * n] = v[l] * left[i]
    return J


def teacher(U, draws):
    return sum(_jacobian(U, C) @ _jacobian(U, C).T for C in draws) / len(draws)


def divides_by_s_minus_one(U, draws):
    return sum(_jacobian(U, C) @ _jacobian(U, C).T for C in draws) / (len(draws) - 1)


def sums_the_draws(U, draws):
    return sum(_jacobian(U, C) @ _jacobian(U, C).T for C in draws)


def forgets_v_squared(U, draws):              # v_l = ±1 instead of ±1/√k
    k = draws.shape[2]
    v = np.array([1.0] * (k // 2) + [-1.0] * (k // 2))
    return sum(_jacobian(U, C, v=v) @ _jacobian(U, C, v=v).T for C in draws) / len(draws)


def uses_Ut(U, draws):
    return sum(_jacobian(U, C, mask_with=U.T, left=U.T) @ _jacobian(U, C, mask_with=U.T, left=U.T).T
               for C in draws) / len(draws)


def masks_from_C(U, draws):                  # 1(c_l > 0) instead of 1(U c_l > 0)
    eye = np.eye(U.shape[0])
    return sum(_jacobian(U, C, mask_with=eye) @ _jacobian(U, C, mask_with=eye).T for C in draws) / len(draws)


def reuses_one_draw(U, draws):
    J = _jacobian(U, draws[0])
    return sum(J @ J.T for _ in draws) / len(draws)


def jtj(U, draws):
    return sum(_jacobian(U, C).T @ _jacobian(U, C) for C in draws) / len(draws)


STUDENTS = [(divides_by_s_minus_one, "n_minus_one"), (sums_the_draws, "sum_not_mean"),
            (forgets_v_squared, "missing_v_squared"), (uses_Ut, "Ut"),
            (masks_from_C, "mask_from_C"), (reuses_one_draw, "one_draw_reused"), (jtj, "JtJ")]


def test_teacher_solution_is_accepted_and_the_stub_is_not():
    ex = exercises.get(NAME)
    seen = []

    def recording(U, draws):
        seen.append(draws.shape)
        return teacher(U, draws)

    result = exercises.check(NAME, recording)
    assert result.accepted, result.report()
    assert {s[1] % 2 for s in seen} == {0, 1} and {s[0] for s in seen} == {2, 3, 4} and {s[2] for s in seen} == {2, 4}
    stub = {}
    exec(ex.stub, stub)
    assert exercises.check(NAME, stub["sigma_mc"]).not_implemented


def test_the_reference_is_the_monte_carlo_average_of_j_jt():
    """On a fixed example the library's reference equals the teacher's average (and is symmetric PSD)."""
    ex = exercises.get(NAME)
    inputs = ex.example()
    expected = ex.expected(inputs)
    np.testing.assert_allclose(expected, teacher(**inputs), atol=1e-14)
    np.testing.assert_allclose(expected, expected.T)
    assert np.linalg.eigvalsh(expected).min() > -1e-12


@pytest.mark.parametrize("func, key", STUDENTS, ids=[k for _, k in STUDENTS])
def test_classic_mistake_gets_its_own_hint(func, key):
    assert_student_gets_its_own_hint(NAME, func, key)


def test_every_mistake_has_a_student_and_its_own_hint():
    assert_every_mistake_has_a_student_and_its_own_hint(NAME, STUDENTS)
