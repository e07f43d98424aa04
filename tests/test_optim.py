"""Tests of cstheory/optim.py: the optimizers' updates written out, the schedules, the default step size."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstheory as cst
from cstheory import _backend as B
from cstheory.optim import Constant, CosineDecay, StepDecay, as_optimizer, default_step_size
from cstheory.testing import assert_allclose


def _problem(xp, n=9, N=13, m=5, seed=0):
    J = B.normal((n, N), rng=seed, xp=xp)
    A = cst.gaussian_matrix(m, n, rng=seed + 1, xp=xp)
    y = B.normal(m, rng=seed + 2, xp=xp)
    return cst.LinearGenerator(J), A, y


def test_gradient_descent_with_a_schedule_is_eq9_written_out(xp):
    """θ_{t+1} = θ_t − η·schedule(t)·Jᵀ Aᵀ (A J θ_t − y), with the factor read at t (not t + 1)."""
    gen, A, y = _problem(xp)
    J, An, yn = (cst.to_numpy(a) for a in (gen.J, A, y))
    eta, sched = 0.05, StepDecay([2, 3], factor=0.5)
    theta = np.zeros(J.shape[1])
    for t in range(5):
        theta = theta - eta * sched(t) * J.T @ (An.T @ (An @ J @ theta - yn))
    res = cst.fit(gen, A, y, steps=5, optimizer=cst.GradientDescent(eta, schedule=sched))
    assert_allclose(res.params, theta, rtol=1e-13, atol=1e-15)


def test_adam_is_the_written_out_update(xp):
    """Adam with bias correction (Kingma & Ba): m, v, m̂ = m/(1−β₁^k), v̂ = v/(1−β₂^k), k = t + 1."""
    gen, A, y = _problem(xp, seed=3)
    J, An, yn = (cst.to_numpy(a) for a in (gen.J, A, y))
    eta, b1, b2, eps = 0.1, 0.8, 0.99, 1e-6
    sched = CosineDecay(1, 4, floor=0.2)
    theta = cst.to_numpy(gen.init(rng=1, scale=0.3))
    m1 = np.zeros_like(theta)
    m2 = np.zeros_like(theta)
    for t in range(6):
        g = J.T @ (An.T @ (An @ J @ theta - yn))
        m1 = b1 * m1 + (1 - b1) * g
        m2 = b2 * m2 + (1 - b2) * g * g
        k = t + 1
        theta = theta - eta * sched(t) * (m1 / (1 - b1**k)) / (np.sqrt(m2 / (1 - b2**k)) + eps)
    opt = cst.Adam(eta, schedule=sched, beta1=b1, beta2=b2, eps=eps)
    res = cst.fit(gen, A, y, params=gen.init(rng=1, scale=0.3), steps=6, optimizer=opt)
    assert_allclose(res.params, theta, rtol=1e-12, atol=1e-14)
    assert res.optimizer == "adam" and res.step_size == eta


def test_a_named_optimizer_equals_the_object():
    gen, A, y = _problem(B.resolve_namespace("numpy"), seed=5)
    a = cst.fit(gen, A, y, steps=20, optimizer="adam", step_size=0.02, schedule=StepDecay([10]))
    b = cst.fit(gen, A, y, steps=20, optimizer=cst.Adam(0.02, schedule=StepDecay([10])))
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.loss, b.loss)


@given(start=st.integers(0, 50), length=st.integers(1, 50), floor=st.floats(0.01, 1.0))
def test_cosine_decay_against_its_formula(start, length, floor):
    s = CosineDecay(start, start + length, floor)
    for t in range(0, start + length + 3):
        if t < start:
            want = 1.0
        elif t >= start + length:
            want = floor
        else:
            want = floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (t - start) / length))
        assert s(t) == pytest.approx(want, rel=1e-15, abs=1e-15)
    assert s(start) == 1.0 and s(start + length) == floor


def test_step_decay_counts_milestones_reached():
    s = StepDecay([3, 7], factor=0.5)
    assert [s(t) for t in (0, 2, 3, 6, 7, 100)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_settle_anneals_the_last_fraction():
    s = CosineDecay.settle(100, 0.4)
    assert (s.start, s.stop, s.floor) == (60, 100, 0.05)
    assert isinstance(CosineDecay.settle(100, 0.0), Constant)
    with pytest.raises(ValueError, match="fraction must lie in"):
        CosineDecay.settle(100, 1.0)


def test_schedules_and_optimizers_refuse_bad_arguments():
    with pytest.raises(ValueError, match="strictly increasing"):
        StepDecay([5, 5])
    with pytest.raises(ValueError, match="factor must lie in"):
        StepDecay([5], factor=2.0)
    with pytest.raises(TypeError, match="milestones must be a sequence"):
        StepDecay(5)
    with pytest.raises(ValueError, match="stop must be larger than start"):
        CosineDecay(5, 5)
    with pytest.raises(ValueError, match="beta2 must lie in"):
        cst.Adam(beta2=1.0)
    with pytest.raises(ValueError, match="step_size must be > 0"):
        cst.GradientDescent(0.0)
    with pytest.raises(TypeError, match="schedule must be a callable"):
        cst.GradientDescent(0.1, schedule=0.5)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        as_optimizer("sgd")
    with pytest.raises(TypeError, match="optimizer must be a name"):
        as_optimizer(3)
    with pytest.raises(ValueError, match="pass step_size and schedule to the optimizer object"):
        as_optimizer(cst.Adam(0.1), step_size=0.2)


def test_default_step_size_is_one_over_the_largest_curvature():
    """Linear generator: 1/‖A J‖² (power iteration, exact to its tolerance); two-layer: 1/(‖A‖² ‖U‖²)."""
    xp = B.resolve_namespace("numpy")
    gen, A, y = _problem(xp, seed=7)
    want = 1.0 / np.linalg.norm(A @ gen.J, 2) ** 2
    assert default_step_size(gen, A, gen.init()) == pytest.approx(want, rel=1e-8)
    u = np.random.default_rng(2).standard_normal(9)
    two = cst.TwoLayerGenerator(u, 4)
    want = 1.0 / (np.linalg.norm(A, 2) ** 2 * np.max(np.abs(np.fft.fft(u))) ** 2)
    assert default_step_size(two, A, two.init(rng=0)) == pytest.approx(want, rel=1e-8)
    with pytest.raises(ValueError, match="cannot choose a step size"):
        default_step_size(gen, np.zeros((5, 9)), gen.init())


def test_adam_restarts_reset_the_moments_and_the_bias_correction():
    """With restarts=[3], steps 3, 4, … are those of a fresh Adam started at θ_3 (k counts from the restart)."""
    gen, A, y = _problem(B.resolve_namespace("numpy"), seed=11)
    whole = cst.fit(gen, A, y, steps=7, optimizer=cst.Adam(0.05, restarts=[3]))
    head = cst.fit(gen, A, y, steps=3, optimizer=cst.Adam(0.05))
    tail = cst.fit(gen, A, y, params=head.params, steps=4, optimizer=cst.Adam(0.05))
    np.testing.assert_array_equal(whole.params, tail.params)
    kept = cst.fit(gen, A, y, steps=7, optimizer=cst.Adam(0.05))
    assert not np.array_equal(kept.params, whole.params)
    assert repr(cst.Adam(0.05, restarts=[3])) == "Adam(step_size=0.05, schedule=Constant(), restarts=[3])"
    with pytest.raises(TypeError, match="restarts must be a sequence"):
        cst.Adam(0.05, restarts=3)
    with pytest.raises(ValueError, match="each entry of restarts"):
        cst.Adam(0.05, restarts=[0])


# ---------------------------------------------------------------------------
# the contract in detail (mutation testing, tests/MUTATION.md)
# ---------------------------------------------------------------------------
def _decoder_problem(xp=None, device=None, dtype=None):
    """A generator without a smoothness bound (the step size comes from a seeded power iteration)."""
    gen = cst.DeepDecoder(16, channels=4, layers=2, rng=0, xp=xp, device=device, dtype=dtype)
    A = cst.gaussian_matrix(8, 16, rng=1, xp=xp, device=device, dtype=dtype)
    return gen, A, gen.init(rng=0)


def test_default_step_size_seeds_its_power_iteration_with_rng():
    """The power iteration starts from rng's draw: rng=0 by default (method or function), another seed moves the
    last digits; for the two-layer generator ‖A‖ comes from operator_norm(A, rng).

    kills mutants: x_default_step_size__mutmut_1, 15, 17; xǁGradientDescentǁdefault_step_size__mutmut_1,
    xǁGradientDescentǁstart__mutmut_1, xǁOptimizerǁresolve_step_size__mutmut_1."""
    gen, A, p = _decoder_problem()
    eta0 = default_step_size(gen, A, p, rng=0)
    assert eta0 != default_step_size(gen, A, p, rng=1)
    assert default_step_size(gen, A, p) == eta0
    gd = cst.GradientDescent()
    assert gd.default_step_size(gen, A, p) == eta0
    assert gd.resolve_step_size(gen, A, p) == eta0
    assert gd.start(gen, A, p).step_size == eta0
    two = cst.TwoLayerGenerator(np.random.default_rng(2).standard_normal(16), 4)
    for seed in (0, 5):
        a = cst.operator_norm(A, rng=seed)
        assert default_step_size(two, A, two.init(rng=0), rng=seed) == (1.0 / a) / a / two.U_norm**2
    assert cst.operator_norm(A, rng=0) != cst.operator_norm(A, rng=5)


class _Flat(cst.Generator):
    """G(θ) = s·θ: a Jacobian bound s² that can be 0 or below 1."""

    def __init__(self, n, s):
        self.param_shape = self.output_shape = (n,)
        self.dtype, self.xp, self.s = np.float64, B.resolve_namespace("numpy"), s

    def init(self, rng=0, scale=None, y=None):
        return np.zeros(self.param_shape)

    def forward(self, params):
        return self.s * params

    def jvp(self, params, tangent):
        return self.s * tangent

    def vjp(self, params, cotangent):
        return self.s * cotangent

    def smoothness_bound(self):
        return self.s**2


def test_default_step_size_with_small_and_zero_bounds_and_norms():
    """η = 1/(‖A‖² b) for any ‖A‖ > 0 and b > 0 (also below 1); A = 0 or b = 0 is refused, as is an η that
    under- or overflows; without a bound, L < 1 is fine and L = 0 refused.

    kills mutants: x_default_step_size__mutmut_19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 81, 83, 84, 90, 91, 94,
    95, 96, 97."""
    A = 0.25 * np.asarray(cst.gaussian_matrix(8, 16, rng=1)) / cst.operator_norm(cst.gaussian_matrix(8, 16, rng=1))
    a = cst.operator_norm(A)
    assert a < 1
    assert default_step_size(_Flat(16, 0.5), A, np.zeros(16)) == pytest.approx(1.0 / (a * a * 0.25), rel=1e-12)
    msg = r"^A is zero \(or the generator's Jacobian bound is\): cannot choose a step size; pass step_size explicitly$"
    with pytest.raises(ValueError, match=msg):
        default_step_size(_Flat(16, 0.0), A, np.zeros(16))
    with pytest.raises(ValueError, match=msg):
        default_step_size(_Flat(16, 0.5), np.zeros((8, 16)), np.zeros(16))
    with pytest.raises(ValueError, match=r"^the default step size 1/L is inf: .* or pass step_size explicitly$"):
        default_step_size(_Flat(16, 1.0), 1e-200 * A, np.zeros(16))
    with pytest.raises(ValueError, match=r"^the default step size 1/L is 0: .*; rescale A \(and y\) or pass"):
        default_step_size(_Flat(16, 1.0), 1e200 * A, np.zeros(16))
    gen, B0, p = _decoder_problem()
    small = 1e-3 * np.asarray(B0)
    assert default_step_size(gen, small, p) == pytest.approx(1e6 * default_step_size(gen, B0, p), rel=1e-6)
    with pytest.raises(ValueError, match=r"^A J_G\(θ₀\) is zero \(or A is\): cannot choose a step size"):
        default_step_size(gen, np.zeros((8, 16)), p)


def test_default_step_size_draws_its_start_in_the_dtype_and_on_the_device_of_params():
    """array_api_strict refuses mixed dtypes and devices: the start vector follows θ₀.

    kills mutants: x_default_step_size__mutmut_62, 65, 67, 72, 73 (61 and 64, a float64 start vector, survive it:
    see test_default_step_size_runs_its_power_iteration_in_the_dtype_of_params)."""
    import array_api_strict as xs
    gen, A, p = _decoder_problem(xp=xs, dtype="float32")
    assert 0 < default_step_size(gen, A, p) == pytest.approx(default_step_size(*_decoder_problem()), rel=1e-4)
    dev = xs.Device("device1")
    gen, A, p = _decoder_problem(xp=xs, device=dev)
    assert default_step_size(gen, A, p) == pytest.approx(default_step_size(*_decoder_problem()), rel=1e-12)


def test_start_checks_shapes_and_backends_naming_both():
    """kills mutants: x__check_start__mutmut_6, 7, 11, 18, 19, 20, 21."""
    import array_api_strict as xs
    gen, A, y = _problem(B.resolve_namespace("numpy"))
    p = gen.init()
    with pytest.raises(ValueError, match=r"^shapes do not chain: A has 11 columns but the generator outputs 9 values$"):
        cst.GradientDescent(0.1).start(gen, np.ones((5, 11)), p)
    As = B.asarray(cst.to_numpy(A), xp=xs)
    for opt in (cst.GradientDescent(0.1), cst.Adam(0.1)):
        with pytest.raises(TypeError, match=r"^params is a numpy array but A works on array_api_strict arrays$"):
            opt.start(gen, As, p)
    strict_gen = cst.LinearGenerator(B.asarray(cst.to_numpy(gen.J), xp=xs))
    with pytest.raises(TypeError, match=r"^params is a array_api_strict array but A works on numpy arrays$"):
        cst.Adam(0.1).start(strict_gen, A, strict_gen.init())


def test_gradient_descent_runs_the_generators_own_iterate():
    """A generator's gd_iterate (the two-layer Fourier iterate) is what GradientDescent moves; others get Iterate.

    kills mutants: xǁGradientDescentǁstart__mutmut_18, 19, 24, 25, 27."""
    from cstheory.generator import Iterate
    two = cst.TwoLayerGenerator(cst.kernels.triangular(12, 3), 4)
    A = cst.gaussian_matrix(6, 12, rng=0)
    C0 = two.init(rng=1)
    state = cst.GradientDescent(0.1).start(two, A, C0)
    assert type(state.iterate) is type(two.gd_iterate(C0)) and type(state.iterate) is not Iterate
    gen, A, y = _problem(B.resolve_namespace("numpy"))
    assert type(cst.GradientDescent(0.1).start(gen, A, gen.init()).iterate) is Iterate


def test_adam_accepts_zero_betas_and_names_its_arguments():
    """β₁ = β₂ = 0 are allowed (then m̂ = g, v̂ = g², a sign step); bad β or ε are refused by name.

    kills mutants: xǁAdamǁ__init____mutmut_5, 6, 11, 12, 15, 16, 26, 29, 30."""
    gen, A, y = _problem(B.resolve_namespace("numpy"))
    opt = cst.Adam(0.1, beta1=0.0, beta2=0.0, eps=1e-3)
    res = cst.fit(gen, A, y, steps=1, optimizer=opt)
    g = cst.to_numpy(gen.J.T @ (A.T @ (-y)))
    np.testing.assert_allclose(res.params, -0.1 * g / (np.abs(g) + 1e-3), rtol=1e-13)
    with pytest.raises(ValueError, match=r"^beta1 must lie in \[0, 1\), got 1"):
        cst.Adam(beta1=1.0)
    with pytest.raises(ValueError, match=r"^beta1 must be >= 0"):
        cst.Adam(beta1=-0.5)
    with pytest.raises(ValueError, match=r"^eps must be > 0"):
        cst.Adam(eps=0.0)


def test_as_optimizer_default_and_type_error():
    """kills mutants: x_as_optimizer__mutmut_1, 2, 7, 18; x__check_schedule__mutmut_5."""
    assert type(as_optimizer()) is cst.GradientDescent
    with pytest.raises(TypeError, match=r"got int$"):
        as_optimizer(3)
    with pytest.raises(ValueError, match=r"^pass step_size and schedule to the optimizer object"):
        as_optimizer(cst.Adam(0.1), schedule=Constant())
    with pytest.raises(TypeError, match=r"got float$"):
        cst.GradientDescent(0.1, schedule=0.5)


def test_reprs_are_the_documented_ones():
    """The reprs shown in the docstrings: the optimizer's step size ("default" when unset) and its schedule.

    kills mutants: xǁConstantǁ__repr____mutmut_1, 2, 3; xǁOptimizerǁ__repr____mutmut_1 … 7."""
    assert repr(cst.GradientDescent()) == "GradientDescent(step_size=default, schedule=Constant())"
    assert repr(cst.Adam(0.05)) == "Adam(step_size=0.05, schedule=Constant())"
    assert repr(cst.GradientDescent(0.5, schedule=StepDecay([25]))) == \
        "GradientDescent(step_size=0.5, schedule=StepDecay(milestones=[25], factor=0.1))"


def test_schedule_arguments_and_boundaries():
    """StepDecay's factor and CosineDecay's floor lie in (0, 1] (1 allowed), CosineDecay's start may be 0 and
    its floor defaults to 0.05, settle passes its floor on and anneals a single step; bad values are named.

    kills mutants: xǁStepDecayǁ__init____mutmut_11, 14, 17, 18, 29, 32, 33, 34; xǁCosineDecayǁ__init____mutmut_1,
    4, 5, 9, 10, 14, 17, 18, 23, 26, 27, 28, 29, 30; xǁCosineDecayǁsettle__mutmut_4, 7, 8, 11, 16, 17, 33, 36."""
    assert [StepDecay([2], factor=1.0)(t) for t in (0, 5)] == [1.0, 1.0]
    with pytest.raises(TypeError, match=r"got int$"):
        StepDecay(5)
    with pytest.raises(ValueError, match=r"^each entry of milestones must be"):
        StepDecay([0, 3])
    with pytest.raises(ValueError, match=r"^factor must be > 0"):
        StepDecay([3], factor=0.0)
    assert CosineDecay(2, 6).floor == 0.05
    flat = CosineDecay(0, 4, floor=1.0)
    assert [flat(t) for t in range(6)] == [1.0] * 6 and flat(0) == 1.0
    with pytest.raises(ValueError, match=r"^floor must lie in \(0, 1\], got 1.5"):
        CosineDecay(0, 4, floor=1.5)
    with pytest.raises(ValueError, match=r"^floor must be > 0"):
        CosineDecay(0, 4, floor=0.0)
    with pytest.raises(ValueError, match=r"^start must be an integer >= 0"):
        CosineDecay(-1, 4)
    with pytest.raises(ValueError, match=r"^stop must be an integer >= 1"):
        CosineDecay(0, 0)
    s = CosineDecay.settle(100, 0.4, floor=0.2)
    assert (s.start, s.stop, s.floor) == (60, 100, 0.2)
    one = CosineDecay.settle(10, 0.1)
    assert isinstance(one, CosineDecay) and (one.start, one.stop) == (9, 10)
    with pytest.raises(ValueError, match=r"^steps must be an integer >= 1"):
        CosineDecay.settle(0, 0.4)
    with pytest.raises(ValueError, match=r"^fraction must be >= 0"):
        CosineDecay.settle(10, -0.1)


# ---------------------------------------------------------------------------
# mutation testing of optim.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
def test_adam_restarts_are_named_sorted_and_deduplicated(xp):
    """restarts is a sequence of iteration numbers >= 1 (a number, str or bytes is refused, naming the type),
    kept sorted without repeats; on every backend, two restarts chain three fresh Adam runs (the moments are
    reset to zero arrays of the backend: NumPy's zeros_like(None) would pass for one, array_api_strict's not).

    kills mutants: xǁAdamǁ__init____mutmut_14, 22; xǁAdamStateǁstep__mutmut_3, 5."""
    for bad, kind in ((3, "int"), ("3", "str"), (b"3", "bytes")):
        with pytest.raises(TypeError, match=rf"^restarts must be a sequence of iteration numbers, got {kind}$"):
            cst.Adam(0.05, restarts=bad)
    with pytest.raises(ValueError, match=r"^each entry of restarts must be an integer >= 1, got 0$"):
        cst.Adam(0.05, restarts=[4, 0])
    with pytest.raises(TypeError, match=r"^each entry of restarts must be an integer, got float 2\.5$"):
        cst.Adam(0.05, restarts=[2.5])
    opt = cst.Adam(0.05, restarts=[5, 2, 5])
    assert opt.restarts == (2, 5)
    assert repr(opt) == "Adam(step_size=0.05, schedule=Constant(), restarts=[2, 5])"
    gen, A, y = _problem(xp, seed=13)
    whole = cst.fit(gen, A, y, steps=8, optimizer=opt)
    p = gen.init()
    for steps in (2, 3, 3):
        p = cst.fit(gen, A, y, params=p, steps=steps, optimizer=cst.Adam(0.05)).params
    np.testing.assert_array_equal(cst.to_numpy(whole.params), cst.to_numpy(p))


class _Recorder(cst.Generator):
    """G(θ) = W θ without a smoothness bound, recording the dtype of every tangent the power iteration hands it."""

    def __init__(self, W):
        self.W = W
        self.param_shape, self.output_shape = (W.shape[1],), (W.shape[0],)
        self.dtype, self.xp, self.tangent_dtypes = W.dtype, B.resolve_namespace("numpy"), set()

    def init(self, rng=0, scale=None, y=None):
        return np.ones(self.param_shape, dtype=self.dtype)

    def forward(self, params):
        return self.W @ params

    def jvp(self, params, tangent):
        self.tangent_dtypes.add(tangent.dtype)
        return self.W @ tangent

    def vjp(self, params, cotangent):
        return self.W.T @ cotangent


def test_default_step_size_runs_its_power_iteration_in_the_dtype_of_params():
    """Without a smoothness bound, L = ‖A J‖² comes from a power iteration whose start vector — and so every
    tangent handed to the generator — has θ₀'s dtype (a float32 run stays float32); 1/L matches the exact value
    to the iteration's tolerance.

    kills mutants: x_default_step_size__mutmut_61, 64."""
    W = np.random.default_rng(4).standard_normal((6, 5))
    A = np.random.default_rng(5).standard_normal((4, 6))
    want = 1.0 / np.linalg.norm(A @ W, 2) ** 2
    for dtype, rtol in ((np.float32, 1e-4), (np.float64, 1e-5)):
        gen = _Recorder(W.astype(dtype))
        eta = default_step_size(gen, A.astype(dtype), gen.init())
        assert gen.tangent_dtypes == {np.dtype(dtype)}
        assert eta == pytest.approx(want, rel=rtol)


@pytest.mark.skipif(not __import__("cstheory._fused", fromlist=["available"]).available(),
                    reason="Numba does not import here")
def test_adam_takes_its_one_pass_update_where_it_should(monkeypatch):
    """The one-pass update (``_fused.adam_direction``) runs — and returns the step — with NumPy for θ of at least
    ``ADAM_FUSED_MIN`` entries; not for a smaller θ, not on array_api_strict, not for a generator built with
    ``fused=False``. Both paths give the written-out update (``test_adam_is_the_written_out_update``), so a spy
    on the call is what tells them apart.

    kills mutants: xǁAdamStateǁ__init____mutmut_21, 22; xǁAdamStateǁstep__mutmut_12, 14, 16, 17, 18."""
    from cstheory import _fused
    returned = []
    real = _fused.adam_direction
    monkeypatch.setattr(_fused, "adam_direction", lambda *a: returned.append(real(*a)) or returned[-1])

    def steps(gen, A, y):
        returned.clear()
        state = cst.Adam(0.05).start(gen, A, gen.init(rng=1))
        for t in range(2):
            x, vjp = state.forward_vjp()
            xp = B.namespace(x)
            r = A.T @ (A @ xp.reshape(x, (-1,)) - y)
            state.step(t, vjp(xp.reshape(r, gen.output_shape)))
        return [r is not None for r in returned]

    numpy = B.resolve_namespace("numpy")
    large = _problem(numpy, n=7, N=cst.optim.ADAM_FUSED_MIN, m=5, seed=6)
    assert steps(*large) == [True, True]
    assert steps(*_problem(numpy, N=cst.optim.ADAM_FUSED_MIN - 1, seed=6)) == []
    assert steps(*_problem(B.resolve_namespace("array_api_strict"), N=cst.optim.ADAM_FUSED_MIN, seed=6)) == []
    decoder = cst.DeepDecoder((16, 16), channels=40, layers=2, rng=0, fused=False)
    assert decoder.num_params >= cst.optim.ADAM_FUSED_MIN
    y = np.random.default_rng(0).random(decoder.n)
    assert steps(decoder, cst.operators.Identity(decoder.n), y) == []
