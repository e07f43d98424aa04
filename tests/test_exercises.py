"""Tests of cstheory/exercises: stubs are "not implemented", teacher solutions pass, classic mistakes fail.

The teacher's solutions below are written independently of the library (explicit loops, dense
matrices, the definition of Σ(U) entry by entry); each classic mistake is a student function
with one thing wrong, and must be rejected with the counterexample, the expected values and the
matching hint in the report.  Checks run with the exercises' own fixed settings (50
derandomized examples), so these verdicts are exactly what a student gets.
"""
import math
import textwrap

import numpy as np
import pytest

from cstheory import exercises
from cstheory.exercises import UsageError
from cstheory.exercises._framework import format_value

# ---------------------------------------------------------------------------
# the teacher's solutions (also written to files for check_file)
# ---------------------------------------------------------------------------
TEACHER_SOURCE = textwrap.dedent('''
    import math

    import numpy as np


    def _v(k):
        return np.array([1.0] * (k // 2) + [-1.0] * (k // 2)) / math.sqrt(k)


    def jacobian(U, C):
        n, k = C.shape
        v = _v(k)
        J = np.zeros((n, n * k))
        for l in range(k):
            z = U @ C[:, l]
            for i in range(n):
                if z[i] > 0:
                    for j in range(n):
                        J[i, l * n + j] = v[l] * U[i, j]
        return J


    def min_norm(A, J, y):
        M = A @ J
        return M.T @ np.linalg.solve(M @ M.T, y)


    def sigma_weights(u):
        """Build Σ(U) entry by entry (App. B) and read σ² off the diagonal of Wᵀ Σ W."""
        n = len(u)
        U = np.array([[u[(i - j) % n] for j in range(n)] for i in range(n)])
        S = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                a, b = np.linalg.norm(U[i]), np.linalg.norm(U[j])
                rho = min(1.0, max(-1.0, float(U[i] @ U[j]) / (a * b)))
                S[i, j] = a * b * 0.5 * (1.0 - math.acos(rho) / math.pi) * rho
        W = np.zeros((n, n))                       # eq. (10), written out
        for i in range(n):
            for t in range(n):
                if i == 0:
                    W[t, i] = 1.0
                elif 2 * i == n:
                    W[t, i] = (-1.0) ** t
                elif i < n / 2:
                    W[t, i] = math.sqrt(2) * math.cos(2 * math.pi * t * i / n)
                else:
                    W[t, i] = math.sqrt(2) * math.sin(2 * math.pi * t * i / n)
        W /= math.sqrt(n)
        return np.sqrt(np.abs(np.diag(W.T @ S @ W)))


    def gradient(U, C, A, y):
        n, k = C.shape
        v = _v(k)
        x = np.zeros(n)
        for l in range(k):
            x += v[l] * np.maximum(U @ C[:, l], 0.0)
        r = A.T @ (A @ x - y)
        G = np.zeros((n, k))
        for l in range(k):
            mask = (U @ C[:, l] > 0).astype(float)
            G[:, l] = v[l] * (U.T @ (mask * r))
        return G
''')
teacher = {}
exec(compile(TEACHER_SOURCE, "teacher.py", "exec"), teacher)
_v = teacher["_v"]


def _blocks(U, C, left=None, act=None, v=None):
    n, k = C.shape
    v = _v(k) if v is None else v
    left = U if left is None else left
    act = (lambda z: (z > 0).astype(float)) if act is None else act
    return np.concatenate([v[l] * act(U @ C[:, l])[:, None] * left for l in range(k)], axis=1)


# ---------------------------------------------------------------------------
# the classic mistakes, as students write them
# ---------------------------------------------------------------------------
def jacobian_with_Ut(U, C):                 # Uᵀ where U belongs (eq. 20 prints the transpose)
    return _blocks(U, C, left=U.T)


def jacobian_row_major(U, C):               # vec by rows of C: column j*k + l
    n, k = C.shape
    J = teacher["jacobian"](U, C)
    out = np.zeros_like(J)
    for l in range(k):
        for j in range(n):
            out[:, j * k + l] = J[:, l * n + j]
    return out


def jacobian_missing_v(U, C):
    return _blocks(U, C, v=np.ones(C.shape[1]))


def jacobian_relu_not_derivative(U, C):
    return _blocks(U, C, act=lambda z: np.maximum(z, 0.0))


def min_norm_plus_null_vector(A, J, y):     # feasible, not minimal
    M = A @ J
    _, s, Vt = np.linalg.svd(M)
    null = Vt[np.sum(s > 1e-12 * s[0]):]
    return teacher["min_norm"](A, J, y) + null.sum(axis=0)


def min_norm_wrong_system(A, J, y):         # least squares of J c = Aᵀ y
    return np.linalg.lstsq(J, A.T @ y, rcond=None)[0]


def min_norm_two_pinvs(A, J, y):            # J^† A^† y: feasible, not minimal
    return np.linalg.pinv(J) @ (np.linalg.pinv(A) @ y)


def _sigma(u, g, convolution=False, power=0.5, order=None):
    """σ from the DFT sum written out, with one knob per mistake."""
    n = len(u)
    if convolution:
        corr = [sum(u[(d - l) % n] * u[l] for l in range(n)) for d in range(n)]
    else:
        corr = [sum(u[(l + d) % n] * u[l] for l in range(n)) for d in range(n)]
    nrm2 = float(u @ u)
    rho = [min(1.0, max(-1.0, c / nrm2)) for c in corr]
    lam = np.array([nrm2 * abs(sum(g(rho[d]) * np.exp(-2j * np.pi * i * d / n) for d in range(n)))
                    for i in range(n)])
    s = lam**power
    return np.sort(s)[::-1] if order == "sorted" else s


def _g(z):
    return 0.5 * (1.0 - math.acos(z) / math.pi) * z


def sigma_correct_fourier(u):               # a second, correct route (accepted)
    return _sigma(u, _g)


def sigma_missing_half(u):
    return _sigma(u, lambda z: (1.0 - math.acos(z) / math.pi) * z)


def sigma_two_pi(u):                        # 1 − acos/(2π)
    return _sigma(u, lambda z: 0.5 * (1.0 - math.acos(z) / (2 * math.pi)) * z)


def sigma_convolution(u):                   # eq. (11) as printed: u ⊛ u
    return _sigma(u, _g, convolution=True)


def sigma_squared(u):
    return _sigma(u, _g, power=1.0)


def sigma_sorted(u):
    return _sigma(u, _g, order="sorted")


def _grad(U, C, A, y, left=None, mask=True, sign=1.0):
    n, k = C.shape
    v = _v(k)
    x = np.maximum(U @ C, 0.0) @ v
    r = A.T @ (A @ x - y)
    left = U.T if left is None else left
    G = np.zeros((n, k))
    for l in range(k):
        m = (U @ C[:, l] > 0).astype(float) if mask else np.ones(n)
        G[:, l] = sign * v[l] * (left @ (m * r))
    return G


def gradient_missing_Ut(U, C, A, y):
    return _grad(U, C, A, y, left=U)


def gradient_missing_mask(U, C, A, y):
    return _grad(U, C, A, y, mask=False)


def gradient_sign_error(U, C, A, y):
    return _grad(U, C, A, y, sign=-1.0)


MISTAKES = [
    ("jacobian", jacobian_with_Ut, "Uᵀ where U belongs"),
    ("jacobian", jacobian_row_major, "row-major vec order"),
    ("jacobian", jacobian_missing_v, "missing v_l"),
    ("jacobian", jacobian_relu_not_derivative, "ReLU instead of ReLU'"),
    ("min_norm", min_norm_plus_null_vector, "non-minimal solution"),
    ("min_norm", min_norm_wrong_system, "the wrong system"),
    ("min_norm", min_norm_two_pinvs, "non-minimal solution"),
    ("sigma_weights", sigma_missing_half, "wrong constant in g"),
    ("sigma_weights", sigma_two_pi, "wrong constant in g"),
    ("sigma_weights", sigma_convolution, "convolution"),
    ("sigma_weights", sigma_squared, "σ²"),
    ("sigma_weights", sigma_sorted, "wrong ordering"),
    ("gradient", gradient_missing_Ut, "missing Uᵀ"),
    ("gradient", gradient_missing_mask, "missing mask"),
    ("gradient", gradient_sign_error, "sign error"),
]


# ---------------------------------------------------------------------------
# verdicts
# ---------------------------------------------------------------------------
def test_list_get_show():
    names = exercises.list_exercises()
    assert names == ["jacobian", "min_norm", "sigma_weights", "gradient"]
    for name in names:
        ex = exercises.get(name)
        assert ex.name == name and ex.function in ex.stub
        text = exercises.show(name)
        assert "eq. (" in text and f"def {ex.function}(" in text and "NotImplementedError" in text
        compile(text, f"{name}.py", "exec")  # `show > file.py` gives a valid Python file


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="jacobian, min_norm, sigma_weights, gradient"):
        exercises.get("jacobain")
    with pytest.raises(UsageError):
        exercises.show("nope")


@pytest.mark.parametrize("name", ["jacobian", "min_norm", "sigma_weights", "gradient"])
def test_stub_is_not_implemented(name, tmp_path):
    path = tmp_path / f"{name}.py"
    path.write_text(exercises.show(name))
    result = exercises.check_file(name, path)
    assert not result.accepted and result.not_implemented and result.exit_code == 1
    assert "not yet implemented" in result.report()


@pytest.mark.parametrize("name", ["jacobian", "min_norm", "sigma_weights", "gradient"])
def test_teacher_solution_is_accepted(name):
    result = exercises.check(name, teacher[name])
    assert result.accepted, result.report()
    assert result.exit_code == 0 and "ACCEPTED" in result.report()


def test_second_correct_route_for_sigma_is_accepted():
    result = exercises.check("sigma_weights", sigma_correct_fourier)
    assert result.accepted, result.report()


@pytest.mark.parametrize("name, func, hint", MISTAKES, ids=[f.__name__ for _, f, _ in MISTAKES])
def test_classic_mistake_is_rejected(name, func, hint):
    result = exercises.check(name, func)
    assert not result.accepted and not result.not_implemented and result.exit_code == 1
    assert hint in result.hint, result.report()
    report = result.report()
    assert "REJECTED" in report and "Counterexample" in report
    for arg, value in result.inputs.items():
        assert f"  {arg} =\n{format_value(value)}" in report
    assert format_value(result.expected) in report and format_value(result.got) in report
    # the counterexample really is one: the mistake differs from the library there
    np.testing.assert_allclose(exercises.get(name).reference(**result.inputs), result.expected)
    assert not np.allclose(func(**result.inputs), result.expected, rtol=1e-6, atol=1e-9)
    # Uᵀ ≠ U and u ⊛ u ≠ u ⋆ u need an asymmetric kernel: the shrunk counterexample has one
    if func in (jacobian_with_Ut, gradient_missing_Ut):
        assert not np.allclose(result.inputs["U"], result.inputs["U"].T)
    if func is sigma_convolution:
        u = result.inputs["u"]
        assert not np.allclose(u, np.roll(u[::-1], 1))


def test_checks_are_reproducible():
    a = exercises.check("min_norm", min_norm_wrong_system, max_examples=10)
    b = exercises.check("min_norm", min_norm_wrong_system, max_examples=10)
    assert a.report().split("(hypothesis")[0] == b.report().split("(hypothesis")[0]
    for key in a.inputs:
        np.testing.assert_array_equal(a.inputs[key], b.inputs[key])


def test_wrong_shape_and_exceptions_are_rejected_with_a_hint():
    transposed = exercises.check("jacobian", lambda U, C: teacher["jacobian"](U, C).T, max_examples=10)
    assert not transposed.accepted and "Wrong shape" in transposed.message and "transpose" in transposed.hint

    def crashes(u):
        return u @ np.ones((len(u) + 1,))
    crashed = exercises.check("sigma_weights", crashes, max_examples=10)
    assert not crashed.accepted and "raised an exception" in crashed.message and "ValueError" in crashed.message
    assert "crashes" in crashed.message  # the student's own frame is shown
    none = exercises.check("sigma_weights", lambda u: None, max_examples=10)
    assert not none.accepted and "not an array" in none.message


def test_check_rejects_non_callables():
    with pytest.raises(TypeError):
        exercises.check("jacobian", "not a function")


# ---------------------------------------------------------------------------
# files and the command line helper
# ---------------------------------------------------------------------------
def test_check_file_accepts_and_rejects(tmp_path):
    good = tmp_path / "teacher.py"
    good.write_text(TEACHER_SOURCE)
    result = exercises.check_file("min_norm", good, max_examples=10)
    assert result.accepted, result.report()
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n\ndef min_norm(A, J, y):\n    return np.linalg.lstsq(J, A.T @ y, rcond=None)[0]\n")
    result = exercises.check_file("min_norm", bad, max_examples=10)
    assert not result.accepted and "Counterexample" in result.report()


def test_check_file_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        exercises.check_file("jacobian", tmp_path / "missing.py")
    other = tmp_path / "other.py"
    other.write_text("def jacobi(U, C):\n    return U\n")
    with pytest.raises(UsageError, match="no function named 'jacobian'.*jacobi"):
        exercises.check_file("jacobian", other)
    not_callable = tmp_path / "nc.py"
    not_callable.write_text("jacobian = 3\n")
    with pytest.raises(UsageError, match="not a function"):
        exercises.check_file("jacobian", not_callable)
    with pytest.raises(ValueError, match="unknown exercise"):
        exercises.check_file("jacobain", other)


def test_file_that_fails_to_import_is_rejected(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def jacobian(U, C):\n    return U @\n")
    result = exercises.check_file("jacobian", broken)
    assert not result.accepted and result.exit_code == 1
    assert "SyntaxError" in result.report() and "broken.py" in result.report()


def test_command_exit_codes(tmp_path, capsys):
    assert exercises.command(["list"]) == 0
    assert "sigma_weights" in capsys.readouterr().out
    assert exercises.command(["show", "gradient"]) == 0
    stub = capsys.readouterr().out
    path = tmp_path / "my_gradient.py"
    path.write_text(stub)
    assert exercises.command(["check", "gradient", str(path)]) == 1
    assert "not yet implemented" in capsys.readouterr().out
    good = tmp_path / "teacher.py"
    good.write_text(TEACHER_SOURCE)
    assert exercises.command(["check", "sigma_weights", str(good), "--max-examples", "5"]) == 0
    assert "ACCEPTED" in capsys.readouterr().out
    assert exercises.command(["check", "nope", str(good)]) == 2
    assert "unknown exercise" in capsys.readouterr().err
    assert exercises.command(["check", "jacobian", str(tmp_path / "missing.py")]) == 2
    assert exercises.command(["show"]) == 2
    assert exercises.command(["check", "jacobian", str(good), "--max-examples", "x"]) == 2
    assert "usage" in capsys.readouterr().err
