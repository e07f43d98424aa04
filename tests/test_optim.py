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
