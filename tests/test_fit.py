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


def test_an_error_function_is_recorded_on_the_signal_of_each_recorded_iterate(xp):
    """``error=`` gets G(θ_t) in the output shape at exactly the recorded iterations; the squared distance
    as ``error`` reproduces the ``x_true`` record bit for bit, and any other error (here the ℓ1 distance)
    is that of the same iterates."""
    A, gen, x, y = problem(xp)
    ref = cst.fit(gen, A, y, steps=30, x_true=x, record_every=7)
    shapes = []

    def sq(z):
        shapes.append(tuple(z.shape))
        d = z - x
        return xp.sum(d * d)
    res = cst.fit(gen, A, y, steps=30, error=sq, record_every=7)
    np.testing.assert_array_equal(res.error, ref.error)
    assert shapes == [tuple(gen.output_shape)] * len(ref.iterations)
    seen = []
    l1 = cst.fit(gen, A, y, steps=30, error=lambda z: float(xp.sum(xp.abs(z - x))), record_every=7,
                 callback=lambda t, p: seen.append(float(xp.sum(xp.abs(gen(p) - x)))))
    np.testing.assert_allclose(l1.error, seen, rtol=1e-13)
    assert l1.error[0] == pytest.approx(float(cst.to_numpy(xp.sum(xp.abs(x)))), rel=1e-13)   # G(0) = 0
    np.testing.assert_array_equal(l1.loss, ref.loss)


def test_an_error_function_is_checked_and_named():
    A, gen, x, y = problem(np)
    with pytest.raises(TypeError, match="error"):
        cst.fit(gen, A, y, steps=2, error=3.0)
    with pytest.raises(ValueError, match="x_true or error"):
        cst.fit(gen, A, y, steps=2, x_true=x, error=lambda z: 0.0)
    with pytest.raises(TypeError, match=r"error\(x\) must return a real number, got str at iteration 0"):
        cst.fit(gen, A, y, steps=2, error=lambda z: "small")
    assert cst.fit(gen, A, y, steps=2).error is None


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


# ---------------------------------------------------------------------------
# the contract in detail (mutation testing, tests/MUTATION.md)
# ---------------------------------------------------------------------------
def test_fit_defaults_are_documented_ones():
    """steps=1000, rng=0 and no progress bar by default.

    kills mutants: x_fit__mutmut_1, 5, 6."""
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(12, 3), 4)
    A = cst.gaussian_matrix(6, 12, rng=1)
    y = A @ cst.smooth_signal(12, 3, rng=2)
    res = cst.fit(gen, A, y, record_every=500)
    assert res.iterations.tolist() == [0, 500, 1000]
    again = cst.fit(gen, A, y, record_every=500, rng=0)
    np.testing.assert_array_equal(cst.to_numpy(res.params), cst.to_numpy(again.params))


def test_fit_shows_no_progress_bar_unless_asked(capsys):
    """progress=False by default; progress=True draws a bar named after the optimizer and clears it.

    kills mutants: x_fit__mutmut_6, 123, 124, 125, 126, 127, 128, 129, 130."""
    A, gen, x, y = problem("numpy")
    quiet = cst.fit(gen, A, y, steps=5)
    assert capsys.readouterr().err == ""
    shown = cst.fit(gen, A, y, steps=5, progress=True)
    err = capsys.readouterr().err
    assert "fit (gd)" in err and "/6" in err           # 6 iterations t = 0 … 5
    assert err.rsplit("\r", 2)[-2].strip() == ""        # the bar is erased when the fit ends (leave=False)
    np.testing.assert_array_equal(shown.params, quiet.params)
    assert shown.iterations.tolist() == list(range(6))
    cst.fit(gen, A, y, steps=2, optimizer="adam", progress=True)
    assert "fit (adam)" in capsys.readouterr().err


def test_fit_starts_at_the_generators_init_with_y_and_rng():
    """θ₀ = gen.init(rng=rng, y=y): the two-layer generator's Theorem-3 scale uses ‖y‖, the seed is fit's rng.

    kills mutants: x_fit__mutmut_100, 102, 106; x_start_params__mutmut_1, 4, 5, 6, 7."""
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(12, 3), 4)
    A = cst.gaussian_matrix(6, 12, rng=1)
    y = 7.0 * (A @ cst.smooth_signal(12, 3, rng=2))     # ‖y‖ far from 1, the scale without y
    want = cst.to_numpy(gen.init(rng=5, y=y))
    assert not np.allclose(want, cst.to_numpy(gen.init(rng=5)))
    assert not np.allclose(want, cst.to_numpy(gen.init(rng=0, y=y)))
    np.testing.assert_allclose(cst.to_numpy(cst.fit(gen, A, y, steps=0, rng=5).params), want, rtol=1e-12, atol=1e-15)
    from cstheory.fit import start_params
    np.testing.assert_array_equal(cst.to_numpy(start_params(gen, y, rng=5)), want)
    np.testing.assert_array_equal(cst.to_numpy(start_params(gen, y)), cst.to_numpy(gen.init(rng=0, y=y)))


def test_fit_power_iteration_uses_fits_rng():
    """The default step size comes from the power iteration seeded with fit's rng (reproducible).

    kills mutants: x_fit__mutmut_111, 115."""
    from cstheory.optim import default_step_size as dss
    gen = cst.DeepDecoder(16, channels=4, layers=2, rng=0)
    A = cst.gaussian_matrix(8, 16, rng=1)
    y = A @ cst.smooth_signal(16, 3, rng=2)
    p = gen.init(rng=0)
    etas = {dss(gen, A, p, rng=r) for r in (0, 7)}
    assert len(etas) == 2                       # the seed moves the estimate in its last digits
    assert cst.fit(gen, A, y, params=p, steps=0, rng=7).step_size == dss(gen, A, p, rng=7)


def test_fit_validates_rng_before_work():
    """rng is checked even when neither the start nor the step size needs it.

    kills mutant: x_fit__mutmut_48."""
    A, gen, x, y = problem("numpy")
    with pytest.raises(TypeError, match=r"^rng must be"):
        cst.fit(gen, A, y, params=gen.init(), step_size=0.1, rng="seed")


def test_fit_names_x_true_and_the_callback_signature():
    """Errors name the argument (x_true) and say what was expected (callback(t, params)).

    kills mutants: x_fit__mutmut_36, 78, 81, 82."""
    A, gen, x, y = problem("numpy")
    with pytest.raises(TypeError, match=r"^x_true must be an array"):
        cst.fit(gen, A, y, x_true=[1.0] * 12)
    with pytest.raises(TypeError, match=r"callback\(t, params\)"):
        cst.fit(gen, A, y, callback=3)


class _NoBackend(cst.Generator):
    """A user generator that declares no backend (xp = None): G(θ) = θ."""

    def __init__(self, n):
        self.param_shape = self.output_shape = (n,)
        self.dtype = np.float64

    def init(self, rng=0, scale=None, y=None):
        return np.zeros(self.param_shape)

    def forward(self, params):
        return params

    def jvp(self, params, tangent):
        return tangent

    def vjp(self, params, cotangent):
        return cotangent


def test_params_of_another_backend_are_refused_first_for_a_generator_without_backend():
    """A generator with xp = None cannot check θ's backend: fit and start_params compare θ with y.

    kills mutants: x_fit__mutmut_72, 73, 74, 75; x_start_params__mutmut_10, 11, 12, 13."""
    import array_api_strict as strict
    from cstheory.fit import start_params
    gen = _NoBackend(12)
    A, _, x, y = problem("numpy")
    p = B.asarray(np.zeros(12), xp=strict)
    with pytest.raises(TypeError, match=r"^params is an array of array_api_strict but y"):
        cst.fit(gen, A, y, params=p, x_true=B.asarray(cst.to_numpy(x), xp=strict))
    with pytest.raises(TypeError, match=r"^params is an array of array_api_strict but y"):
        start_params(gen, y, p)
    assert cst.fit(gen, A, y, steps=3).params.shape == (12,)   # and it fits with θ on y's backend


def test_backend_errors_name_both_backends():
    """kills mutants: x_check_problem__mutmut_30, 31, 33, 39, 40, 41."""
    import array_api_strict as strict
    A, gen, x, y = problem("numpy")
    ys = B.asarray(cst.to_numpy(y), xp=strict)
    with pytest.raises(TypeError, match=r"A works on numpy arrays but y is a array_api_strict array"):
        cst.fit(gen, Dense(A), ys)
    with pytest.raises(TypeError, match=r"the generator works on numpy arrays but y is a array_api_strict array"):
        cst.fit(gen, B.asarray(cst.to_numpy(A), xp=strict), ys)


def test_divergence_message_names_the_first_step_past_the_threshold():
    """'diverged at step t': t is the first step whose loss exceeds 1e6 × the initial loss.

    kills mutant: x_fit__mutmut_149."""
    import re
    A, gen, x, y = problem("numpy")
    with pytest.raises(cst.DivergenceError) as info:
        cst.fit(gen, A, y, steps=200, step_size=30.0)
    t = int(re.search(r"diverged at step (\d+)", str(info.value)).group(1))
    assert t >= 2
    before = cst.fit(gen, A, y, steps=t - 1, step_size=30.0)
    assert before.loss.max() <= 1e6 * before.loss[0]


def test_divergence_monitor_rule():
    """½‖r‖² > 1e6 × ½‖r₀‖² diverges (equality does not), relative to the initial loss at any scale;
    the message names what diverged, the step and a ten times smaller step size.

    kills mutants: xǁDivergenceMonitorǁ__init____mutmut_1, 2, 8, 11, 12, 13; xǁDivergenceMonitorǁcheck__mutmut_10, 11, 16, 18, 19."""
    from cstheory.fit import DivergenceMonitor
    m = DivergenceMonitor(0.1)
    assert m.check(0, 1.0) == 0.5
    assert m.check(1, 1000.0) == 5e5                 # exactly 1e6 × the initial loss: not yet
    with pytest.raises(cst.DivergenceError, match=r"^fit diverged at step 2: .*step_size=0\.1; .*\(e\.g\. 0\.01\)$"):
        m.check(2, 1000.001)
    big = DivergenceMonitor(2.0, what="the linearized run")
    big.check(0, 1e3)
    assert big.check(1, 2e3) == 2e6                  # 4× the initial loss
    with pytest.raises(cst.DivergenceError, match=r"^the linearized run diverged at step 3.*\(e\.g\. 0\.2\)$"):
        big.check(3, float("inf"))
    tiny = DivergenceMonitor(1.0)
    tiny.check(0, 1e-6)
    with pytest.raises(cst.DivergenceError):
        tiny.check(1, 1e-2)                          # 1e8 × a tiny initial loss
    with pytest.raises(ValueError, match=r"^step_size must be"):
        DivergenceMonitor(-1.0)
    with pytest.raises(TypeError, match=r"^what must be a string, got int$"):
        DivergenceMonitor(1.0, what=3)


def test_divergence_monitor_due():
    """Checked at every t < 50 and every 50th step after.

    kills mutants: xǁDivergenceMonitorǁdue__mutmut_3, 4, 5."""
    from cstheory.fit import DivergenceMonitor
    due = [t for t in range(230) if DivergenceMonitor.due(t)]
    assert due == list(range(50)) + [50, 100, 150, 200]


def test_fit_result_repr_shows_the_headline_numbers(xp):
    """The repr shows optimizer, last iteration, step size, first and last loss, final error, θ's shape and dtype.

    kills mutants: xǁFitResultǁ__repr____mutmut_2, 4, 7, 9, 10, 12, 14, 15, 18, 19, 20, 21, 22, 24, 25, 26, 27, 30, 31."""
    A, gen, x, y = problem(xp)
    res = cst.fit(gen, A, y, steps=7, record_every=3, x_true=x)
    text = repr(res)
    assert text == (f"FitResult(gd, 7 steps, step_size={res.step_size:.4g}, loss {res.loss[0]:.4g} → "
                    f"{res.loss[-1]:.4g}, final error {res.error[-1]:.4g}, params (18,) float64)")
    res = cst.fit(gen, A, y, steps=4, record_every=3)
    assert repr(res).endswith(f"loss {res.loss[0]:.4g} → {res.loss[-1]:.4g}, params (18,) float64)")
    empty = cst.FitResult(np.zeros(2, dtype=np.float32), np.zeros(2), np.zeros(0), np.zeros(0),
                          np.zeros(0, dtype=int), 0.1, "adam")
    assert repr(empty) == "FitResult(adam, 0 steps, step_size=0.1, loss — → —, params (2,) float32)"


def test_divergence_monitor_with_a_scale_and_a_hint_is_the_baselines_rule():
    """With ``scale`` the reference is max(first loss, scale); with a ``hint`` (no step size) the message ends
    with it; exactly 1e6 × the reference is tolerated; a non-finite reference with a given scale is idle."""
    from cstheory.fit import DIVERGENCE_FACTOR, DivergenceMonitor

    watch = DivergenceMonitor(what="ADMM", hint="check A", scale=2.0, quantity="objective")
    assert watch.reference == 2.0 and watch.check_loss(0, 0.5) == 0.5 and watch.reference == 2.0
    watch.check_loss(1, 2.0 * DIVERGENCE_FACTOR)
    with pytest.raises(cst.DivergenceError, match=r"^ADMM diverged at step 2: objective 2e\+06, more than 1e\+06 "
                                                  r"times its scale 2; check A$"):
        watch.check_loss(2, 2.0000001 * DIVERGENCE_FACTOR)
    big = DivergenceMonitor(hint="h", scale=1.0)
    big.check_loss(0, 10.0)                                    # the first loss is larger: it is the reference
    assert big.reference == 10.0
    with pytest.raises(cst.DivergenceError):
        big.check_loss(1, 1.1e7)
    idle = DivergenceMonitor(hint="h", scale=1.0)
    idle.check_loss(0, math.inf)
    assert idle.check_loss(1, math.nan) != 0.0                 # nothing to compare with: no error
    with pytest.raises(cst.DivergenceError):                   # without a scale, a non-finite first loss is fatal
        DivergenceMonitor(0.1).check_loss(0, math.inf)
    with pytest.raises(TypeError, match="needs a step_size or a hint"):
        DivergenceMonitor()
