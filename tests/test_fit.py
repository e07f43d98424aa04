"""Tests of cstheory/fit.py: the gradient-descent loop of eq. (9), Adam, records and divergence checks."""
import math

import numpy as np
import pytest

import cstheory as cst
from cstheory import _backend as B
from cstheory.fit import default_step_size
from cstheory.testing import assert_allclose


def problem(xp, m=6, n=12, N=18, seed=0):
    rng = np.random.default_rng(seed)
    A = cst.gaussian_matrix(m, n, rng=rng, xp=xp)
    J = B.normal((n, N), rng=rng, scale=1.0 / math.sqrt(N), xp=xp)
    x = cst.smooth_signal(n, 3, rng=rng, xp=xp)
    return A, cst.LinearGenerator(J), x, A @ x


class Dense(cst.LinearOperator):
    """A dense matrix seen only through A @ x and A.T @ r."""

    def __init__(self, M):
        self.M, self.shape = M, tuple(M.shape)
        self.xp, self.dtype, self.device = B.namespace(M), M.dtype, None
        self.calls = 0

    def matvec(self, x):
        self.calls += 1
        return self.M @ x

    def rmatvec(self, r):
        self.calls += 1
        return self.M.T @ r


def loss_of(A, gen, y, params):
    r = cst.to_numpy(A @ gen(params) - y)
    return 0.5 * float(r @ r)


# ---------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------
def test_gd_loss_decreases_and_records_are_exact(xp):
    A, gen, x, y = problem(xp)
    res = cst.fit(gen, A, y, steps=200, x_true=x)
    assert isinstance(res, cst.FitResult) and res.optimizer == "gd"
    np.testing.assert_array_equal(res.iterations, np.arange(201))
    assert res.loss.shape == res.error.shape == (201,)
    # GD with η ≤ 1/L on a convex quadratic never increases the loss
    assert np.all(np.diff(res.loss) <= 1e-15 * res.loss[0])
    assert res.loss[-1] < 1e-3 * res.loss[0]
    # the records are ½‖A G − y‖² and ‖G − x*‖² of the iterates: check the first and the last
    assert res.loss[0] == pytest.approx(0.5 * float(cst.to_numpy(y) @ cst.to_numpy(y)), rel=1e-12)
    assert res.error[0] == pytest.approx(1.0, rel=1e-12)  # G(0) = 0 and ‖x*‖ = 1
    assert res.loss[-1] == pytest.approx(loss_of(A, gen, y, res.params), rel=1e-9)
    assert_allclose(res.signal, gen(res.params))
    d = cst.to_numpy(res.signal - x)
    assert res.error[-1] == pytest.approx(float(d @ d), rel=1e-12)
    assert B.namespace(res.params) is xp and B.namespace(res.signal) is xp


def test_gd_step_is_eq9(xp):
    """One step by hand: c₁ = c₀ − η Jᵀ Aᵀ (A J c₀ − y)."""
    A, gen, x, y = problem(xp)
    c0 = gen.init(rng=2, scale=0.3)
    res = cst.fit(gen, A, y, params=c0, steps=1, step_size=0.05)
    expected = c0 - 0.05 * (gen.J.T @ (A.T @ (A @ (gen.J @ c0) - y)))
    assert_allclose(res.params, expected)
    assert res.step_size == 0.05


@pytest.mark.parametrize("steps, every, expected", [
    (10, 3, [0, 3, 6, 9, 10]), (9, 3, [0, 3, 6, 9]), (5, 100, [0, 5]), (0, 1, [0]), (1, 1, [0, 1]),
])
def test_record_every(steps, every, expected):
    A, gen, x, y = problem("numpy")
    calls = []
    res = cst.fit(gen, A, y, steps=steps, record_every=every, x_true=x,
                  callback=lambda t, p: calls.append((t, cst.to_numpy(p).copy())))
    assert res.iterations.tolist() == expected
    assert len(res.loss) == len(res.error) == len(expected)
    # the callback sees exactly the recorded steps, with the parameters of that step
    assert [t for t, _ in calls] == expected
    assert np.all(calls[0][1] == 0.0)
    np.testing.assert_array_equal(calls[-1][1], cst.to_numpy(res.params))


def test_no_error_without_x_true():
    A, gen, x, y = problem("numpy")
    assert cst.fit(gen, A, y, steps=3).error is None


def test_default_step_size_is_one_over_squared_norm(xp):
    A, gen, x, y = problem(xp)
    s_max = np.linalg.svd(cst.to_numpy(A) @ cst.to_numpy(gen.J), compute_uv=False)[0]
    assert default_step_size(gen, A, gen.init()) == pytest.approx(1.0 / s_max**2, rel=1e-8)
    assert cst.fit(gen, A, y, steps=0).step_size == pytest.approx(1.0 / s_max**2, rel=1e-8)


# ---------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------
def test_adam_reaches_small_loss(xp):
    A, gen, x, y = problem(xp)
    res = cst.fit(gen, A, y, steps=2000, optimizer="adam", step_size=0.01, record_every=100)
    assert res.optimizer == "adam" and res.step_size == 0.01
    assert res.loss[-1] < 1e-6 * res.loss[0]
    assert cst.fit(gen, A, y, steps=1, optimizer="adam").step_size == 1e-3  # Adam's default


def test_adam_first_step_is_sign_step():
    """With bias correction Adam's first step is −η g/(|g| + ε) ≈ −η sign(g)."""
    A, gen, x, y = problem("numpy")
    res = cst.fit(gen, A, y, steps=1, optimizer="adam", step_size=0.01)
    g = cst.to_numpy(gen.J.T @ (A.T @ (-y)))
    np.testing.assert_allclose(cst.to_numpy(res.params), -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


# ---------------------------------------------------------------------------
# divergence: never a silent NaN
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("steps, every", [(500, 1), (500, 1000), (30, 1000)])
def test_divergence_error_names_step_size(steps, every, xp):
    A, gen, x, y = problem(xp)
    with pytest.raises(cst.DivergenceError, match="step_size") as info:
        cst.fit(gen, A, y, steps=steps, step_size=1e4, record_every=every)
    assert "smaller step_size" in str(info.value)


def test_divergence_on_overflow_to_inf(xp):
    A, gen, x, y = problem(xp)
    with pytest.raises(cst.DivergenceError, match="step_size"):
        cst.fit(gen, A, y, steps=2000, step_size=1e150, record_every=2000)


# ---------------------------------------------------------------------------
# A as a matrix-free operator
# ---------------------------------------------------------------------------
def test_linear_operator_same_as_dense(xp):
    A, gen, x, y = problem(xp)
    op = Dense(A)
    dense = cst.fit(gen, A, y, steps=50, x_true=x)
    free = cst.fit(gen, op, y, steps=50, x_true=x)
    assert op.calls > 0
    assert free.step_size == pytest.approx(dense.step_size, rel=1e-12)
    assert_allclose(free.params, dense.params)
    np.testing.assert_allclose(free.loss, dense.loss, rtol=1e-12)
    np.testing.assert_allclose(free.error, dense.error, rtol=1e-12)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_bad_inputs(xp):
    A, gen, x, y = problem(xp)
    other = "array_api_strict" if B.is_numpy(xp) else "numpy"
    with pytest.raises(ValueError, match="y must have length m = 6"):
        cst.fit(gen, A, y[:5])
    with pytest.raises(ValueError, match="y must be 1-D"):
        cst.fit(gen, A, xp.reshape(y, (2, 3)))
    with pytest.raises(ValueError, match="shapes do not chain"):
        cst.fit(gen, cst.gaussian_matrix(6, 11, xp=xp), y)
    with pytest.raises(TypeError, match="different backends"):
        cst.fit(gen, A, B.asarray(cst.to_numpy(y), xp=other))
    with pytest.raises(TypeError):
        cst.fit(gen, B.asarray(cst.to_numpy(A), xp=other), B.asarray(cst.to_numpy(y), xp=other))
    with pytest.raises(TypeError, match="different backends"):
        cst.fit(gen, A, y, x_true=B.asarray(cst.to_numpy(x), xp=other))
    with pytest.raises(TypeError, match="A works on"):
        cst.fit(gen, Dense(A), B.asarray(cst.to_numpy(y), xp=other))
    with pytest.raises(ValueError, match="y contains non-finite"):
        cst.fit(gen, A, y * float("nan"))
    with pytest.raises(ValueError, match="A contains non-finite"):
        cst.fit(gen, A * float("inf"), y)
    with pytest.raises(ValueError, match="x_true must have 12 entries"):
        cst.fit(gen, A, y, x_true=x[:11])
    with pytest.raises(ValueError, match="optimizer must be one of"):
        cst.fit(gen, A, y, optimizer="sgd")
    with pytest.raises(ValueError, match="step_size must be > 0"):
        cst.fit(gen, A, y, step_size=0.0)
    with pytest.raises(ValueError, match="step_size must be finite"):
        cst.fit(gen, A, y, step_size=float("nan"))
    with pytest.raises(ValueError, match="steps must be"):
        cst.fit(gen, A, y, steps=-1)
    with pytest.raises(ValueError, match="record_every must be"):
        cst.fit(gen, A, y, record_every=0)
    with pytest.raises(ValueError, match="params must have shape"):
        cst.fit(gen, A, y, params=xp.zeros(5, dtype=xp.float64))
    with pytest.raises(TypeError, match="A must be"):
        cst.fit(gen, [[1.0] * 12] * 6, y)


def test_zero_operator_needs_explicit_step_size(xp):
    A, gen, x, y = problem(xp)
    Z = A * 0.0
    with pytest.raises(ValueError, match="step_size"):
        cst.fit(gen, Z, y, steps=1)


# ---------------------------------------------------------------------------
# input contract (issue 14)
# ---------------------------------------------------------------------------
def test_fit_refuses_flags_callbacks_and_records_that_cannot_be():
    A, gen, x, y = problem(B.resolve_namespace("numpy"))
    with pytest.raises(TypeError, match="progress must be True or False"):
        cst.fit(gen, A, y, progress=1)
    with pytest.raises(TypeError, match="callback must be a callable"):
        cst.fit(gen, A, y, callback="print")
    with pytest.raises(TypeError, match="gen must be a cstheory generator"):
        cst.fit("gen", A, y)
    with pytest.raises(ValueError, match=r"fit\(steps=10\*\*30|fit\(steps=1000000000000000000000000000000"):
        cst.fit(gen, A, y, steps=10**30)
    with pytest.raises(ValueError, match="x_true must have 12 entries"):
        cst.fit(gen, A, y, x_true=x[None, :])
    with pytest.raises(TypeError, match="params must be a real floating array"):
        cst.fit(gen, A, y, params=np.zeros(gen.param_shape, dtype=np.int64))


def test_fit_result_repr_without_records():
    r = cst.FitResult(np.zeros(2), np.zeros(2), np.zeros(0), None, np.zeros(0, dtype=int), 0.1, "gd")
    assert "loss — → —" in repr(r)


def test_default_step_size_refuses_a_zero_operator_and_extreme_scales():
    A, gen, x, y = problem(B.resolve_namespace("numpy"))
    params = gen.init(rng=0, y=y)
    with pytest.raises(ValueError, match="pass step_size explicitly"):
        default_step_size(gen, np.zeros_like(A), params)
    eta = default_step_size(gen, A, params)
    assert default_step_size(gen, 1e100 * A, params) == pytest.approx(eta * 1e-200, rel=1e-8)


def test_the_divergence_monitor_checks_its_step_size():
    from cstheory.fit import DivergenceMonitor

    for bad, exc in ((0.0, ValueError), (float("nan"), ValueError), ("0.1", TypeError)):
        with pytest.raises(exc, match="step_size"):
            DivergenceMonitor(bad)


def test_default_step_size_with_a_smoothness_bound_is_one_over_norms_squared():
    """Two-layer generator: η = 1/(‖A‖² ‖U‖²) (Lemma 2), and η(cA) = η(A)/c² without squaring ‖cA‖."""
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(16, 3), 4)
    A = np.asarray(cst.gaussian_matrix(8, 16, rng=0))
    params = gen.init(rng=0, scale=0.1)
    want = 1.0 / (np.linalg.norm(A, 2) ** 2 * gen.U_norm**2)
    assert default_step_size(gen, A, params) == pytest.approx(want, rel=1e-8)
    assert default_step_size(gen, 1e150 * A, params) == pytest.approx(want * 1e-300, rel=1e-8)
