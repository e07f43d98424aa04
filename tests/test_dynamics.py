"""Tests of cstheory/dynamics.py: the closed form of linear GD (eq. 39, 40) and the Theorem-4 gap."""
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstheory as cst
from cstheory import _backend as B
from cstheory.dynamics import (
    LinearizationResult, linear_parameter_distance, linear_residuals, linearization, linearization_gap,
    linearization_parameter_gap,
)
from cstheory.testing import on_backend, seeds


def gd_on_linear_problem(xp, J, r0, eta, T):
    """Plain GD θ ← θ − η Jᵀ r, r = r₀ + J(θ − θ₀), from θ₀ = 0: the residuals and ‖θ_t‖ for t = 0..T."""
    theta = xp.zeros((J.shape[1],), dtype=J.dtype)
    r = r0
    res, dist = [], []
    for _ in range(T + 1):
        res.append(cst.to_numpy(r))
        dist.append(float(xp.linalg.vector_norm(theta)))
        theta = theta - eta * (J.T @ r)
        r = r0 + J @ theta
    return np.asarray(res), np.asarray(dist)


# ---------------------------------------------------------------------------
# eq. (39) and (40) against real gradient descent
# ---------------------------------------------------------------------------
@given(m=st.integers(1, 10), N=st.integers(1, 14), seed=seeds(), frac=st.floats(0.05, 1.9), T=st.integers(0, 40))
def test_linear_residuals_equal_gd(xp, m, N, seed, frac, T):
    """r̃_t of eq. (39) = the residuals of GD, for wide and tall J, η up to 1.9/σ₁² (oscillating factors)."""
    rng = np.random.default_rng(seed)
    Jh = rng.standard_normal((m, N))
    eta = float(frac / np.linalg.norm(Jh, 2) ** 2)
    J, r0 = on_backend(Jh, xp), on_backend(rng.standard_normal(m), xp)
    real, _ = gd_on_linear_problem(xp, J, r0, eta, T)
    got = linear_residuals(J, r0, eta, range(T + 1))
    assert B.namespace(got) is xp and tuple(got.shape) == (T + 1, m)
    scale = float(np.linalg.norm(cst.to_numpy(r0)))
    np.testing.assert_allclose(cst.to_numpy(got), real, rtol=0, atol=1e-12 * max(scale, 1e-300) * (T + 1))


@given(m=st.integers(1, 10), N=st.integers(1, 14), seed=seeds(), frac=st.floats(0.05, 1.0), T=st.integers(0, 40))
def test_linear_parameter_distance_equals_gd(xp, m, N, seed, frac, T):
    """‖θ̃_t − θ₀‖ of eq. (40) = the distance travelled by GD (η ≤ 1/σ₁², the paper's condition)."""
    rng = np.random.default_rng(seed)
    Jh = rng.standard_normal((m, N))
    eta = float(frac / np.linalg.norm(Jh, 2) ** 2)
    J, r0 = on_backend(Jh, xp), on_backend(rng.standard_normal(m), xp)
    _, real = gd_on_linear_problem(xp, J, r0, eta, T)
    got = cst.to_numpy(linear_parameter_distance(J, r0, eta, range(T + 1)))
    scale = np.linalg.norm(cst.to_numpy(r0)) / np.linalg.svd(Jh, compute_uv=False)[-1]
    np.testing.assert_allclose(got, real, rtol=1e-10, atol=1e-12 * scale * (T + 1))


def test_closed_form_on_a_diagonal_problem(xp):
    """J = diag(1, ½), η = ½: factors (1 − ησ²)^t = 2^{-t} and (7/8)^t; distances by hand."""
    J = on_backend(np.diag([1.0, 0.5]), xp)
    r0 = on_backend(np.array([1.0, 1.0]), xp)
    R = cst.to_numpy(linear_residuals(J, r0, 0.5, [0, 1, 2, 10]))
    t = np.array([0, 1, 2, 10])
    np.testing.assert_allclose(R, np.stack([0.5**t, (7 / 8) ** t], axis=1), rtol=1e-14)
    D = cst.to_numpy(linear_parameter_distance(J, r0, 0.5, t))
    np.testing.assert_allclose(D, np.sqrt((1 - 0.5**t) ** 2 + ((1 - (7 / 8) ** t) / 0.5) ** 2), rtol=1e-14)


def test_steps_order_int_and_tiny_singular_values():
    """Rows follow the given order; an int T means 0..T; σ ≪ 1 keeps full accuracy (expm1/log1p)."""
    rng = np.random.default_rng(0)
    J = rng.standard_normal((4, 6))
    r0 = rng.standard_normal(4)
    eta = 0.3 / np.linalg.norm(J, 2) ** 2
    a = linear_residuals(J, r0, eta, [5, 0, 3, 5])
    b = linear_residuals(J, r0, eta, 5)
    np.testing.assert_allclose(a, b[[5, 0, 3, 5]], rtol=1e-14, atol=1e-15)
    # a direction with σ = 1e-9: after t steps its residual factor is 1 − t η σ² (to first order)
    Jt = np.diag([1.0, 1e-9])
    got = linear_residuals(Jt, np.array([0.0, 1.0]), 0.5, [1000])[0, 1]
    assert got - 1.0 == pytest.approx(-1000 * 0.5 * 1e-18, rel=1e-6)
    d = linear_parameter_distance(Jt, np.array([0.0, 1.0]), 0.5, [1000])[0]
    assert d == pytest.approx(1000 * 0.5 * 1e-9, rel=1e-6)


def test_zero_singular_directions_keep_their_residual():
    """A rank-deficient J: the part of r₀ outside its range never moves and adds no parameter distance."""
    J = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    r0 = np.array([1.0, 2.0, 3.0])
    R = linear_residuals(J, r0, 0.5, [0, 4])
    np.testing.assert_allclose(R[1], [0.5**4, 2.0, 3.0], rtol=1e-14)
    np.testing.assert_allclose(linear_parameter_distance(J, r0, 0.5, [4]), [1 - 0.5**4], rtol=1e-14)


# ---------------------------------------------------------------------------
# the linearization of a linear problem is the problem itself
# ---------------------------------------------------------------------------
def linear_setup(xp, seed=0, n=12, N=20, m=6):
    rng = np.random.default_rng(seed)
    gen = cst.LinearGenerator(B.normal((n, N), rng=rng, scale=1 / math.sqrt(N), xp=xp))
    A = cst.gaussian_matrix(m, n, rng=rng, xp=xp)
    y = A @ cst.smooth_signal(n, 3, rng=rng, xp=xp)
    return gen, A, y, gen.init(rng=seed + 1, scale=0.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linearization_gap_is_zero_for_a_linear_generator(xp, seed):
    """Measured over seeds 0–2 (both backends): max gaps ≤ 7.5e-16 (residual, relative) and ≤ 3.8e-15
    (parameters, with ‖θ_t − θ₀‖ up to 1.8) over 200 steps; asserted 2e-15 and 1e-14."""
    gen, A, y, c0 = linear_setup(xp, seed)
    steps = range(0, 201, 10)
    res = linearization(gen, A, y, c0, steps)
    assert isinstance(res, LinearizationResult)
    assert res.max_residual_gap < 2e-15
    assert res.max_parameter_gap < 1e-14 * max(1.0, res.parameter_distance.max())
    assert linearization_gap(gen, A, y, c0, steps) == pytest.approx(res.max_residual_gap, abs=1e-15)
    assert linearization_parameter_gap(gen, A, y, c0, steps) == pytest.approx(res.max_parameter_gap, abs=1e-14)
    # the linear run is eq. (39)/(40) with J = A J_G
    J = A @ gen.J
    r0 = A @ gen(c0) - y
    np.testing.assert_allclose(res.linear_residual_norm,
                               np.linalg.norm(cst.to_numpy(linear_residuals(J, r0, res.step_size, steps)), axis=1),
                               rtol=1e-10, atol=1e-12 * res.r0_norm)
    np.testing.assert_allclose(res.linear_parameter_distance,
                               cst.to_numpy(linear_parameter_distance(J, r0, res.step_size, steps)), rtol=1e-9,
                               atol=1e-13)
    assert res.iterations.tolist() == list(steps)
    assert res.residual_norm[-1] < 0.1 * res.r0_norm  # GD made progress


def test_linearization_of_two_layer_is_eq39_with_the_jacobian_at_init(xp):
    """The matrix-free linear run equals eq. (39)/(40) with the explicit J = A J_G(θ₀) (eq. 20);
    the first GD step is the same for both problems (same Jacobian at θ₀): θ₁ = θ̃₁."""
    n, k, m = 12, 6, 5
    rng = np.random.default_rng(3)
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(n, 3, xp=xp), k)
    A = cst.gaussian_matrix(m, n, rng=rng, xp=xp)
    y = A @ cst.smooth_signal(n, 3, rng=rng, xp=xp)
    C0 = gen.init(rng=4, scale=0.3)
    steps = [0, 1, 2, 5, 17, 40]
    res = linearization(gen, A, y, C0, steps, step_size=0.02)
    J = A @ gen.jacobian(C0)
    r0 = A @ gen(C0) - y
    np.testing.assert_allclose(res.linear_residual_norm,
                               np.linalg.norm(cst.to_numpy(linear_residuals(J, r0, 0.02, steps)), axis=1), rtol=1e-10,
                               atol=1e-12 * res.r0_norm)
    np.testing.assert_allclose(res.linear_parameter_distance,
                               cst.to_numpy(linear_parameter_distance(J, r0, 0.02, steps)), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(res.eigenvalues, np.sort(np.linalg.svd(cst.to_numpy(J), compute_uv=False) ** 2)[::-1],
                               rtol=1e-9, atol=1e-12)
    assert res.residual_gap[0] < 1e-14 and res.parameter_gap[0] < 1e-14  # rounding of fit's Fourier coordinates
    assert res.parameter_gap[1] < 1e-13
    assert res.max_residual_gap > 1e-6  # the network is not linear: the runs do separate


def test_theorem4_gap_shrinks_with_width():
    """The Theorem-4 gap max_t ‖r_t − r̃_t‖/‖r₀‖ at k = 4096 is far below k = 16.

    Setup: n = 32, m = 8, triangular kernel of width 4, x* = smooth_signal(32, 3, rng=0),
    A = gaussian_matrix(8, 32, rng=100), C₀ = gen.init(rng=0, y=y, xi=1.0), default step
    1/(‖A‖²‖U‖²), 200 GD steps compared every 10 (‖r_T‖/‖r₀‖ ≈ 0.03).  Measured: gap 0.1507
    (k = 16) and 0.0105 (k = 4096), 14.4× smaller (three other draws of x*, A, C₀ of the same kind,
    300 steps: 8.4×, 13.9×, 10.4×); parameter gap (eq. 37) 0.419 → 0.087.  We assert at least 4×.  (With ξ = 0.1 the start is 10× smaller and the lazy
    regime needs ~100× more channels: the relative movement ‖θ_T − θ₀‖/‖θ₀‖ scales like 1/(ξ√k).)
    """
    n, m = 32, 8
    u = cst.kernels.triangular(n, 4)
    x = cst.smooth_signal(n, 3, rng=0)
    A = cst.gaussian_matrix(m, n, rng=100)
    y = A @ x
    gaps = {}
    for k in (16, 4096):
        gen = cst.TwoLayerGenerator(u, k)
        gaps[k] = linearization_gap(gen, A, y, gen.init(rng=0, y=y, xi=1.0), range(0, 201, 10))
    assert gaps[4096] * 4 < gaps[16], gaps
    assert gaps[16] > 0.05  # a narrow network is visibly nonlinear


# ---------------------------------------------------------------------------
# divergence and bad input
# ---------------------------------------------------------------------------
def test_diverging_step_raises(xp):
    gen, A, y, c0 = linear_setup(xp)
    with pytest.raises(cst.DivergenceError, match="step_size"):
        linearization(gen, A, y, c0, [0, 100], step_size=1e3)


def test_linearized_run_divergence_is_reported():
    """A step that is stable for the nonlinear run but not for its linearization is still caught:
    a generator whose Jacobian at θ₀ is large and then shrinks."""

    class Saturating(cst.Generator):
        """G(θ) = tanh(10 θ) padded: the Jacobian 10 at 0 falls to ~0 once θ moves."""

        def __init__(self):
            self.xp, self.dtype, self.device = B.resolve_namespace(), np.float64, None
            self.output_shape, self.param_shape = (2,), (2,)

        def forward(self, p):
            return np.tanh(10 * p)

        def jvp(self, p, t):
            return 10 * (1 - np.tanh(10 * p) ** 2) * t

        def vjp(self, p, r):
            return 10 * (1 - np.tanh(10 * p) ** 2) * r

    gen = Saturating()
    A = np.eye(2)
    y = np.array([0.9, -0.9])
    with pytest.raises(cst.DivergenceError, match="linearized run"):
        linearization(gen, A, y, np.zeros(2), [0, 200], step_size=0.05)


def test_bad_inputs(xp):
    J = B.normal((4, 6), xp=xp)
    r0 = B.normal(4, xp=xp)
    with pytest.raises(ValueError, match="J must be 2-D"):
        linear_residuals(r0, r0, 0.1, [1])
    with pytest.raises(ValueError, match="r0 must have length m = 4"):
        linear_residuals(J, B.normal(5, xp=xp), 0.1, [1])
    with pytest.raises(ValueError, match="step_size must be > 0"):
        linear_residuals(J, r0, 0.0, [1])
    with pytest.raises(TypeError, match="step_size must be a real number"):
        linear_parameter_distance(J, r0, "0.1", [1])
    with pytest.raises(ValueError, match="each entry of iterations"):
        linear_residuals(J, r0, 0.1, [1, -2])
    with pytest.raises(TypeError, match="each entry of iterations"):
        linear_residuals(J, r0, 0.1, [1.5])
    with pytest.raises(ValueError, match="iterations must contain"):
        linear_residuals(J, r0, 0.1, [])
    with pytest.raises(TypeError, match="iterations must be an iterable"):
        linear_residuals(J, r0, 0.1, "12")
    with pytest.raises(ValueError, match="r0 contains non-finite"):
        linear_residuals(J, r0 * float("nan"), 0.1, [1])
    other = "array_api_strict" if B.is_numpy(xp) else "numpy"
    with pytest.raises(TypeError, match="different backends"):
        linear_residuals(J, B.normal(4, xp=other), 0.1, [1])

    gen, A, y, c0 = linear_setup(xp)
    with pytest.raises(ValueError, match="y must have length m = 6"):
        linearization_gap(gen, A, y[:5], c0, [1])
    with pytest.raises(ValueError, match="shapes do not chain"):
        linearization_gap(gen, cst.gaussian_matrix(6, 11, xp=xp), y, c0, [1])
    with pytest.raises(ValueError, match="params must have shape"):
        linearization_gap(gen, A, y, xp.zeros(3, dtype=xp.float64), [1])
    with pytest.raises(ValueError, match="step_size must be > 0"):
        linearization_gap(gen, A, y, c0, [1], step_size=-1.0)
    with pytest.raises(TypeError, match="different backends"):
        linearization_gap(gen, A, B.asarray(cst.to_numpy(y), xp=other), c0, [1])


# ---------------------------------------------------------------------------
# the divergence rule of the closed form (issue 14)
# ---------------------------------------------------------------------------
def _linear_problem():
    n, m = 8, 5
    J = np.asarray(cst.trig_basis(n)) * (0.8 ** np.arange(n))[None, :]
    A = np.asarray(cst.gaussian_matrix(m, n, rng=1))
    x = np.asarray(cst.smooth_signal(n, 3, rng=2))
    return J, A, A @ x


def test_closed_form_diverges_at_the_step_where_fit_does():
    """With η > 2/σ_1², fit raises DivergenceError at some step t; eq. (39) raises at the same t, not before."""
    import re

    J, A, y = _linear_problem()
    s1 = np.linalg.norm(A @ J, 2)
    eta = 3.0 / s1**2
    with pytest.raises(cst.DivergenceError) as info:
        cst.fit(cst.LinearGenerator(J), A, y, steps=200, step_size=eta)
    t = int(re.search(r"at step (\d+)", str(info.value)).group(1))
    assert 0 < t < 50
    ok = cst.linear_residuals(A @ J, -y, eta, list(range(t)))       # r̃_0 = A J c_0 − y with c_0 = 0
    assert np.all(np.isfinite(ok))
    for f in (cst.linear_residuals, cst.linear_parameter_distance):
        with pytest.raises(cst.DivergenceError, match=f"diverged at step {t}:"):
            f(A @ J, -y, eta, list(range(t + 1)))


def test_closed_form_never_returns_nan_for_a_large_iteration_count():
    J, A, y = _linear_problem()
    s1 = np.linalg.norm(A @ J, 2)
    r = cst.linear_residuals(A @ J, -y, 1.0 / s1**2, [0, 10**6, 10**15])
    d = cst.linear_parameter_distance(A @ J, -y, 1.0 / s1**2, [0, 10**6, 10**15])
    assert np.all(np.isfinite(r)) and np.all(np.isfinite(d))
    with pytest.raises(cst.DivergenceError):
        cst.linear_residuals(A @ J, -y, 2.5 / s1**2, [0, 10**6])    # would be inf - inf = NaN


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_closed_form_at_extreme_scales_of_the_residual(c):
    J, A, y = _linear_problem()
    s1 = np.linalg.norm(A @ J, 2)
    ref = cst.linear_residuals(A @ J, -y, 0.5 / s1**2, [0, 3, 50])
    got = cst.linear_residuals(A @ J, -c * y, 0.5 / s1**2, [0, 3, 50])
    np.testing.assert_allclose(got, c * ref, rtol=1e-12)


def test_tiny_problems():
    """n = 1: one singular value; the closed form is (1 − η σ²)^t r₀."""
    r = cst.linear_residuals(np.array([[2.0]]), np.array([1.0]), 0.1, [0, 1, 2])
    np.testing.assert_allclose(r[:, 0], [1.0, 0.6, 0.36])
# invariances of the Theorem-4 gap
# ---------------------------------------------------------------------------
def _two_layer_problem(xp, n=9, k=8, m=5, seed=0):
    rng = np.random.default_rng(seed)
    gen = cst.TwoLayerGenerator(on_backend(rng.standard_normal(n), xp), k)   # asymmetric kernel
    A = on_backend(rng.standard_normal((m, n)) / math.sqrt(m), xp)
    y = on_backend(rng.standard_normal(m), xp)
    return gen, A, y


@pytest.mark.parametrize("c", [4.0, 0.25, 3.7])
def test_theorem4_gap_is_invariant_when_y_and_the_start_scale_together(xp, c):
    """ReLU is positively homogeneous: G(cC) = c G(C) and J_G(cC) = J_G(C) for c > 0.  Scaling y and C₀
    by c therefore scales every GD iterate C_t, every residual r_t and every linearized residual r̃_t by c
    (same A, same η, same reference Jacobian), so the relative residual gap ‖r_t − r̃_t‖/‖r₀‖ is unchanged
    and the parameter gap scales by c.  For c a power of two every operation scales exactly, so the
    gaps agree bit for bit; for c = 3.7 measured relative change ≤ 1.5e-15, asserted 1e-11.
    Theorem 3's start ω = ξ‖y‖/(2√n‖U‖) scales with y, so the default start (params=None) has the same
    invariance."""
    gen, A, y = _two_layer_problem(xp)
    C0 = gen.init(rng=1, scale=0.3)
    steps, eta = range(0, 31, 5), 0.2
    ref = linearization(gen, A, y, C0, steps, step_size=eta)
    got = linearization(gen, A, c * y, c * C0, steps, step_size=eta)
    exact = c in (4.0, 0.25)
    rtol = 0 if exact else 1e-11
    # step 0: both gaps are rounding of fit's Fourier coordinates (~1e-15), judged on the curve's scale
    atol = 0 if exact else 1e-13
    np.testing.assert_allclose(got.residual_gap, ref.residual_gap, rtol=rtol, atol=atol * ref.max_residual_gap)
    np.testing.assert_allclose(got.parameter_gap, c * ref.parameter_gap, rtol=rtol, atol=atol * c * ref.max_parameter_gap)
    np.testing.assert_allclose(got.residual_norm, c * ref.residual_norm, rtol=rtol)
    assert got.r0_norm == pytest.approx(c * ref.r0_norm, rel=1e-15)
    assert ref.max_residual_gap > 1e-3            # a real nonlinear gap, not zero = zero
    d_ref = linearization_gap(gen, A, y, None, steps, rng=3)
    assert linearization_gap(gen, A, c * y, None, steps, rng=3) == pytest.approx(d_ref, rel=1e-11)


def test_theorem4_gap_is_not_invariant_when_only_y_scales(xp):
    """With the start C₀ fixed, scaling y alone changes how far GD must travel relative to C₀, hence the
    gap: the invariance above needs the start scaled too.  Measured: gap 0.101 (c = 1) vs 0.260 (c = 10)."""
    gen, A, y = _two_layer_problem(xp)
    C0 = gen.init(rng=1, scale=0.3)
    steps = range(0, 31, 5)
    g1 = linearization_gap(gen, A, y, C0, steps, step_size=0.2)
    g10 = linearization_gap(gen, A, 10.0 * y, C0, steps, step_size=0.2)
    assert abs(g10 - g1) > 0.1 * g1


# ---------------------------------------------------------------------------
# edge cases of eq. (39)/(40): η σ² = 1, precision and device, records, messages
# ---------------------------------------------------------------------------
def test_step_exactly_one_over_sigma_squared(xp):
    """η σ² = 1 removes that direction in one step: r̃_t = 0 and ‖θ̃_t − θ₀‖ = |⟨w, r₀⟩|/σ for t ≥ 1, r̃_0 = r₀
    (the plain power (1 − 1)^t, with no log(0) warning — RuntimeWarnings are errors in this suite)."""
    J = on_backend(np.diag([2.0, 0.5]), xp)
    r0 = on_backend(np.array([3.0, 1.0]), xp)
    R = cst.to_numpy(linear_residuals(J, r0, 0.25, [0, 1, 3]))
    np.testing.assert_allclose(R, [[3.0, 1.0], [0.0, (1 - 0.0625) ** 1], [0.0, (1 - 0.0625) ** 3]], rtol=1e-15, atol=0)
    D = cst.to_numpy(linear_parameter_distance(J, r0, 0.25, [0, 1]))
    np.testing.assert_allclose(D, [0.0, math.hypot(3.0 / 2.0, 0.0625 / 0.5)], rtol=1e-15)


def test_float32_and_a_non_default_device():
    """The closed form keeps J's dtype and device (the step numbers are moved to J's device).
    kills mutants: the step numbers t built without J's dtype or device."""
    import array_api_strict as xs
    dev, cpu = xs.Device("device1"), xs.Device("CPU_DEVICE")
    rng = np.random.default_rng(0)
    Jh, r0h = rng.standard_normal((3, 5)), rng.standard_normal(3)
    eta = 0.5 / np.linalg.norm(Jh, 2) ** 2
    ref_r, ref_d = linear_residuals(Jh, r0h, eta, [0, 4]), linear_parameter_distance(Jh, r0h, eta, [0, 4])
    J, r0 = xs.asarray(Jh, device=dev), xs.asarray(r0h, device=dev)
    for got, ref in ((linear_residuals(J, r0, eta, [0, 4]), ref_r), (linear_parameter_distance(J, r0, eta, [0, 4]), ref_d)):
        assert got.device == dev
        np.testing.assert_allclose(cst.to_numpy(xs.asarray(got, device=cpu)), ref, rtol=1e-13)
    J32, r32 = xs.asarray(Jh, dtype=xs.float32), xs.asarray(r0h, dtype=xs.float32)
    got = linear_residuals(J32, r32, eta, [0, 4])
    assert got.dtype == xs.float32
    np.testing.assert_allclose(cst.to_numpy(got), ref_r, rtol=1e-5, atol=1e-6)


def test_linearization_records_sorted_unique_steps_and_the_reference_spectrum(xp):
    """steps in any order with repeats are recorded once each, sorted; eigenvalues are those of
    J Jᵀ = A J_G(θ₀) J_G(θ₀)ᵀ Aᵀ (decreasing, clipped at 0), here for the linear generator J_G = J."""
    gen, A, y, c0 = linear_setup(xp)
    res = linearization(gen, A, y, c0, [12, 0, 4, 12, 8])
    assert res.iterations.tolist() == [0, 4, 8, 12]
    M = cst.to_numpy(A) @ cst.to_numpy(gen.J)
    np.testing.assert_allclose(res.eigenvalues, np.sort(np.linalg.eigvalsh(M @ M.T))[::-1], rtol=1e-12, atol=1e-15)
    assert res.residual_gap.shape == res.parameter_gap.shape == (4,)
    assert res.max_residual_gap == float(np.max(res.residual_gap))
    assert res.max_parameter_gap == float(np.max(res.parameter_gap))
    direct = np.linalg.norm(cst.to_numpy(A @ gen(c0) - y))
    assert res.r0_norm == pytest.approx(direct, rel=1e-14)


@pytest.mark.parametrize("call, exc, message", [
    (lambda J, r: linear_residuals(J, r[:3], 0.1, [1]), ValueError, "r0 must have length m = 4 (rows of J), got 3"),
    (lambda J, r: linear_residuals(J, r, 0.1, "12"), TypeError,
     "iterations must be an iterable of integers >= 0 (or one integer T), got str"),
    (lambda J, r: linear_residuals(J, r, 0.1, []), ValueError,
     "iterations must contain at least one iteration number, got an empty iterable"),
    (lambda J, r: linear_residuals(J, r, 0.1, [3, -2]), ValueError, "each entry of iterations must be an integer >= 0, got -2"),
    (lambda J, r: linear_residuals(J, r, 0.1, -1), ValueError, "iterations must be an integer >= 0, got -1"),
    (lambda J, r: linear_parameter_distance(J, r, 0.0, [1]), ValueError, "step_size must be > 0, got 0"),
    (lambda J, r: linear_residuals(r, r, 0.1, [1]), ValueError, "J must be 2-D, got shape (4,)"),
    (lambda J, r: linear_residuals(J, J, 0.1, [1]), ValueError, "r0 must be 1-D, got shape (4, 6)"),
])
def test_bad_input_messages(call, exc, message):
    """The whole message, anchored (kills renamed arguments and altered messages)."""
    J, r0 = np.ones((4, 6)), np.ones(4)
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call(J, r0)


class _Saturating(cst.Generator):
    """G(θ) = tanh(g θ) entrywise (n = N = 2): Jacobian g at θ = 0, shrinking as θ moves, so a step that
    is unstable for the linearization at 0 can be stable for the nonlinear run."""

    def __init__(self, gain):
        self.xp, self.dtype, self.device = B.resolve_namespace(), np.float64, None
        self.output_shape, self.param_shape = (2,), (2,)
        self.gain = gain

    def forward(self, p):
        return np.tanh(self.gain * p)

    def jvp(self, p, t):
        return self.gain * (1 - np.tanh(self.gain * p) ** 2) * t

    def vjp(self, p, r):
        return self.gain * (1 - np.tanh(self.gain * p) ** 2) * r


@pytest.mark.parametrize("eta, y_scale, T, step", [
    (0.05, 1.0, 200, 5),          # factor 4: 4^5 > 1000, every step below 50 is checked
    (0.021, 1.0, 120, 100),       # factor 1.1: crosses at 73, caught at the check of step 100
    (0.021, 0.01, 140, 100),      # ‖r₀‖ = 0.0127 < 1: the threshold is 1000‖r₀‖ (relative), not 1000
    (0.021466, 1.0, 120, 100),    # factor 1.1466: crosses at 51, not checked before 100
    (0.02153, 1.0, 120, 49),      # factor 1.153: crosses at 49, the last step below 50
    (0.02068, 1.0, 120, 120),     # factor 1.068: crosses at 103, caught at the last step (not a multiple of 50)
])
def test_linearized_divergence_is_caught_at_the_documented_step(eta, y_scale, T, step):
    """The linearized run is checked like fit: every step below 50, then every 50 steps and at the last
    one; it diverges when ‖r̃‖² > 1e6 ‖r₀‖².  Gain 10 at θ₀ = 0: the factor |1 − 100η| is 4 (η = 0.05:
    4⁵ > 1000 → step 5) or 1.1 (η = 0.021: 1.1^73 > 1000 → caught at the check of step 100), whatever
    ‖r₀‖ (also below 1); see the cases for the others.  The message gives the step, both residuals and
    a step 10× smaller.
    kills mutants: the check schedule (< / <= 50, % 50, last step), the threshold (/ for ·, max(‖r₀‖², 1)),
    and the numbers in the message."""
    y = y_scale * np.array([0.9, -0.9])
    r0 = float(np.linalg.norm(y))
    with pytest.raises(cst.DivergenceError) as info:
        linearization(_Saturating(10.0), np.eye(2), y, np.zeros(2), [0, T], step_size=eta)
    growth = abs(1 - 100 * eta)
    rn = r0 * growth**step
    msg = (f"the linearized run diverged at step {step}: loss {0.5 * rn * rn:.3g} (initial {0.5 * r0 * r0:.3g}) "
           f"with step_size={eta:.3g}; use a smaller step_size (e.g. {eta / 10:.3g})")
    assert str(info.value) == msg


def test_linearization_defaults_use_rng_for_the_start_and_the_step():
    """params=None draws gen.init(rng, y); step_size=None is default_step_size(gen, A, θ₀, rng) — the same
    rng (default 0) — and the wrappers pass params, step_size and rng through (results identical bit for bit).
    kills mutants: default rng 1, rng=None or dropped in start_params/default_step_size/wrappers."""
    from cstheory.fit import default_step_size
    gen, A, y = _two_layer_problem(B.resolve_namespace())
    steps = [0, 3, 6]
    for kwargs, seed in (({}, 0), ({"rng": 5}, 5)):
        res = linearization(gen, A, y, None, steps, **kwargs)
        C0 = gen.init(rng=seed, y=y)
        assert res.step_size == default_step_size(gen, A, C0, rng=seed)
        ref = linearization(gen, A, y, C0, steps, step_size=res.step_size)
        np.testing.assert_array_equal(res.residual_gap, ref.residual_gap)
        assert linearization_gap(gen, A, y, None, steps, **kwargs) == res.max_residual_gap
        assert linearization_parameter_gap(gen, A, y, None, steps, **kwargs) == res.max_parameter_gap
    C1 = gen.init(rng=7, scale=0.5)
    ref = linearization(gen, A, y, C1, steps, step_size=0.05, rng=3)
    assert linearization_parameter_gap(gen, A, y, C1, steps, step_size=0.05, rng=3) == ref.max_parameter_gap
    assert linearization_gap(gen, A, y, C1, steps, step_size=0.05, rng=3) == ref.max_residual_gap


def test_linearization_curves_are_the_runs_they_name(xp):
    """residual_norm and parameter_distance are ‖r_t‖ and ‖θ_t − θ₀‖ of cst.fit's own GD run; the linear
    curves are eq. (39)/(40) also when 0 is not among the steps (the linear run starts at t = 0); steps
    are int64 and every requested step is recorded (also t = 1 next to larger steps).
    kills mutants: swapped columns, the linear run started at t = 1, steps as floats, 1 dropped from the gcd."""
    gen, A, y = _two_layer_problem(xp)
    C0 = gen.init(rng=2, scale=0.4)
    steps, eta = [1, 4, 10], 0.1
    res = linearization(gen, A, y, C0, steps, step_size=eta)
    assert res.iterations.dtype == np.int64 and res.iterations.tolist() == steps
    seen = {}
    run = cst.fit(gen, A, y, params=C0, steps=10, step_size=eta,
                  callback=lambda t, P: seen.__setitem__(t, float(np.linalg.norm(cst.to_numpy(P - C0)))))
    np.testing.assert_allclose(res.residual_norm, np.sqrt(2 * run.loss[steps]), rtol=1e-12)
    np.testing.assert_allclose(res.parameter_distance, [seen[t] for t in steps], rtol=1e-12)
    J = cst.to_numpy(A @ gen.jacobian(C0))
    r0 = cst.to_numpy(A @ gen(C0) - y)
    np.testing.assert_allclose(res.linear_residual_norm, np.linalg.norm(linear_residuals(J, r0, eta, steps), axis=1),
                               rtol=1e-12)
    np.testing.assert_allclose(res.linear_parameter_distance, linear_parameter_distance(J, r0, eta, steps), rtol=1e-12)


def test_linearization_edge_cases():
    """steps = [0] (nothing to run), r₀ = 0 (the start fits y: every residual stays 0, the relative gap
    is 0, not 0/0), clipped eigenvalues of a rank-deficient J Jᵀ (m = 6 > N = 3: rounding gives −1e-15),
    an int T for steps, and only T steps of the nonlinear run (a run that diverges after step ~350 is
    not reached with T = 10).  kills mutants: gcd of no steps, the ‖r₀‖ > 0 guard, the clip, fit's steps."""
    rng = np.random.default_rng(0)
    gen = cst.LinearGenerator(rng.standard_normal((8, 3)))
    A, y = rng.standard_normal((6, 8)), rng.standard_normal(6)
    one = linearization(gen, A, y, gen.init(), [0])
    assert one.iterations.tolist() == [0] and one.residual_gap.tolist() == [0.0]
    assert np.all(one.eigenvalues >= 0) and one.eigenvalues[-1] == 0.0 and one.eigenvalues[0] > 1.0
    c0 = rng.standard_normal(3)
    fits = linearization(gen, A, A @ gen(c0), c0, 5)
    assert fits.iterations.tolist() == [0, 1, 2, 3, 4, 5] and fits.r0_norm == 0.0
    np.testing.assert_array_equal(fits.residual_gap, 0.0)
    s1 = np.linalg.norm(A @ gen.J, 2)
    slow = linearization(gen, A, y, gen.init(), 10, step_size=2.02 / s1**2)   # |1 − 2.02| = 1.02 per step
    assert slow.iterations.tolist() == list(range(11))


def test_linearization_on_a_non_default_device():
    """θ₀, A, y on array_api_strict's device1: the reference kernel's unit vectors are built there too, and
    the curves equal those of the same problem on the default device.  kills mutants: eye without device."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    rng = np.random.default_rng(0)
    u, A, y = rng.standard_normal(7), rng.standard_normal((3, 7)), rng.standard_normal(3)
    runs = []
    for device in (None, dev):
        gen = cst.TwoLayerGenerator(xs.asarray(u, device=device), 4)
        C0 = gen.init(rng=1, scale=0.3)
        runs.append(linearization(gen, xs.asarray(A, device=device), xs.asarray(y, device=device), C0, [0, 2, 4],
                                  step_size=0.1))
    np.testing.assert_allclose(runs[1].residual_gap, runs[0].residual_gap, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(runs[1].eigenvalues, runs[0].eigenvalues, rtol=1e-12)


# ---------------------------------------------------------------------------
# mutation testing of dynamics.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
class _Identity(cst.Generator):
    """G(θ) = θ (n = N), declaring no backend (``xp`` stays None): only the calls' own checks compare
    backends.  ``value`` replaces the output (to make r₀ non-finite)."""

    def __init__(self, n=2, value=None):
        self.output_shape, self.param_shape = (n,), (n,)
        self.value = value

    def forward(self, p):
        return p if self.value is None else np.full(p.shape, self.value)

    def jvp(self, p, t):
        return t

    def vjp(self, p, r):
        return r


def _small_linear_problem():
    gen = cst.LinearGenerator(np.random.default_rng(0).standard_normal((4, 3)))
    A, y = np.random.default_rng(1).standard_normal((3, 4)), np.random.default_rng(2).standard_normal(3)
    return gen, A, y, gen.init(rng=3, scale=0.5)


_J, _R0 = np.array([[1.0, 0.0], [0.0, 0.5]]), np.array([1.0, 1.0])
_GEN, _A, _Y, _C0 = _small_linear_problem()


@pytest.mark.parametrize("name, call", [
    ("linear_residuals", lambda **kw: linear_residuals(_J, _R0, 0.5, **kw)),
    ("linear_parameter_distance", lambda **kw: linear_parameter_distance(_J, _R0, 0.5, **kw)),
    ("linearization", lambda **kw: linearization(_GEN, _A, _Y, _C0, step_size=0.05, **kw).residual_gap),
    ("linearization_gap", lambda **kw: linearization_gap(_GEN, _A, _Y, _C0, step_size=0.05, **kw)),
    ("linearization_parameter_gap", lambda **kw: linearization_parameter_gap(_GEN, _A, _Y, _C0, step_size=0.05, **kw)),
])
def test_iterations_is_the_one_name_and_required(name, call):
    """``iterations`` is required and ``steps=`` is retired (CHANGELOG.md): both are TypeErrors."""
    assert np.all(np.isfinite(np.asarray(cst.to_numpy(call(iterations=[0, 2])), dtype=float)))
    with pytest.raises(TypeError, match="steps"):
        call(iterations=[0, 2], steps=[0, 2])
    with pytest.raises(TypeError, match="iterations"):
        call()


@pytest.mark.parametrize("func", [linear_residuals, linear_parameter_distance])
def test_closed_form_memory_estimate(monkeypatch, func):
    """The closed form asks for 2 · 8 · (m·N + m·r + L·r + L·m) bytes (J, W, and two (L, ·) row blocks, r =
    min(m, N), L iterations): J of shape (2, 3) and L = 2 give 2 · 8 · (6 + 4 + 4 + 4) = 288; exactly that is
    allowed, one byte less refused with a message naming the function.

    kills mutants: x__linear_setup__mutmut_41, 44, 49, 50, 51, 52, 61; x_linear_residuals__mutmut_23, 29, 30;
    x_linear_parameter_distance__mutmut_23, 29, 30."""
    J, r0 = np.ones((2, 3)), np.ones(2)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "288")
    assert func(J, r0, 0.1, [0, 1]).shape[0] == 2
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "287")
    with pytest.raises(ValueError, match=f"^{func.__name__}\\(J of shape \\(2, 3\\), 2 iterations\\): the SVD and the "
                                         f"rows needs 288 bytes \\(288 bytes\\), more than the limit of 287 bytes"):
        func(J, r0, 0.1, [0, 1])


def test_an_int_iteration_count_asks_64_bytes_per_entry(monkeypatch):
    """iterations = T lists 0, 1, …, T: (T + 1) · 64 bytes, 640 for T = 9 (allowed at exactly 640, refused
    at 639 with a message naming T).

    kills mutants: x__check_iterations__mutmut_14, 19, 20, 21, 22, 23."""
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "640")
    assert linear_residuals(np.ones((1, 1)), np.ones(1), 0.1, 9).shape == (10, 1)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "639")
    with pytest.raises(ValueError, match="^" + re.escape("iterations=9: the list 0, 1, …, T needs 640 bytes (640 bytes), "
                                                         "more than the limit of 639 bytes")):
        linear_residuals(np.ones((1, 1)), np.ones(1), 0.1, 9)


def test_linearization_memory_estimate_is_three_m_by_m(monkeypatch):
    """linearization asks for 3 · 8 · m² bytes (J Jᵀ and two more (m, m) arrays): 864 for m = 6, allowed at
    exactly that, refused one byte below with a message naming m.

    kills mutants: x_linearization__mutmut_48, 51, 53."""
    gen = _Identity(6)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "864")
    res = linearization(gen, np.eye(6), np.ones(6), np.zeros(6), [0, 1], step_size=0.1)
    np.testing.assert_allclose(res.residual_norm, [math.sqrt(6), 0.9 * math.sqrt(6)], rtol=1e-15)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "863")
    with pytest.raises(ValueError, match="^" + re.escape("linearization(m=6): the reference kernel J Jᵀ (m, m) needs 864 "
                                                         "bytes (864 bytes), more than the limit of 863 bytes")):
        linearization(gen, np.eye(6), np.ones(6), np.zeros(6), [0, 1], step_size=0.1)


def test_linearization_checks_its_arguments_before_any_work(monkeypatch):
    """A θ₀ of another backend than y (for a generator that declares none) and a bad rng are refused before
    the memory check and before the runs — also when rng is not needed (θ₀ and η given).

    kills mutants: x_linearization__mutmut_38, 41, 42, 43, 44."""
    import array_api_strict as xs
    gen = _Identity(2)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "1")
    with pytest.raises(TypeError, match="^" + re.escape(
            "params is an array of array_api_strict but y is an array of numpy: different backends in one call; "
            "convert them to one (cstheory.to_numpy or xp.asarray)") + "$"):
        linearization(gen, np.eye(2), np.ones(2), xs.zeros(2, dtype=xs.float64), [0, 1], step_size=0.1)
    monkeypatch.delenv("CSTHEORY_MAX_BYTES")
    with pytest.raises(TypeError, match="^rng must be an int seed or a numpy.random.Generator, got str$"):
        linearization(gen, np.eye(2), np.ones(2), np.zeros(2), [0, 1], step_size=0.1, rng="0")


def test_linearization_refuses_a_start_whose_residual_is_not_finite():
    """G(θ₀) = (inf, inf), A = (1, 1): r₀ = A G(θ₀) − y = inf, and the linearized run stops at step 0 (before fit).

    kills mutants: x_linearization__mutmut_118, 122 (the step number of that first check)."""
    with pytest.raises(cst.DivergenceError, match=r"^the linearized run diverged at step 0: loss inf \(initial inf\) "
                                                  r"with step_size=0.1; use a smaller step_size \(e.g. 0.01\)$"):
        linearization(_Identity(2, value=np.inf), np.ones((1, 2)), np.ones(1), np.zeros(2), [0, 1], step_size=0.1)


def test_max_gaps_of_one_and_of_no_recorded_iteration():
    """One recorded iteration is a maximum (of itself); none is a ValueError saying so.

    kills mutants: xǁLinearizationResultǁ_max__mutmut_2, 3, 4, 5, 6."""
    one = linearization(_Identity(2), np.eye(2), np.ones(2), np.zeros(2), [0], step_size=0.1)
    assert one.max_residual_gap == 0.0 and one.max_parameter_gap == 0.0
    empty = LinearizationResult(*([np.zeros(0)] * 7), r0_norm=1.0, step_size=0.1, eigenvalues=np.zeros(0))
    message = "^the LinearizationResult has no recorded iterations: no gap to take the maximum of$"
    with pytest.raises(ValueError, match=message):
        empty.max_residual_gap
    with pytest.raises(ValueError, match=message):
        empty.max_parameter_gap


def test_closed_form_divergence_message():
    """σ = ½, η = 40: the factor |1 − ησ²| = 9 per step, ‖r̃_t‖²/‖r₀‖² = 81^t passes 1e6 at t = 4 (81⁴ = 4.3e7);
    the message gives that growth rounded to a power of ten and the limit 2/σ₁² = 8.

    kills mutants: x__check_divergence__mutmut_104, 105, 107, 109, 114, 120, 122, 123, 124, 126;
    x__linear_setup__mutmut_74."""
    with pytest.raises(cst.DivergenceError, match="^" + re.escape(
            "linear_residuals (linear GD, eq. 39) diverged at step 4: the loss grows by a factor 1e8 (more than 1e+06) "
            "with step_size=40; gradient descent converges for step_size < 2/sigma_1^2 = 8") + "$"):
        linear_residuals(np.array([[0.5]]), np.array([1.0]), 40.0, [0, 1, 2, 3, 4])


def test_closed_form_divergence_when_the_step_overflows():
    """η σ² beyond the float range (σ = 1e200), or t · log|1 − ησ²| beyond it (t = 10^307): the growth is
    inf, reported without a floating-point warning (all warnings are errors here); a float32 J whose
    ησ² = 1e40 overflows float32 only is judged in float64 (growth 1e80).

    kills mutants: x__check_divergence__mutmut_7, 9, 18, 21, 65, 67, 106, 111, 112."""
    import warnings
    cases = [
        (np.array([[1e200]]), np.array([1.0]), 1.0, [1], "at step 1: the loss grows by a factor inf (more than 1e+06) "
         "with step_size=1; gradient descent converges for step_size < 2/sigma_1^2 = 0"),
        (np.array([[1.0]]), np.array([1.0]), 1e10, [10**307], f"at step {10**307}: the loss grows by a factor inf "
         "(more than 1e+06) with step_size=1e+10; gradient descent converges for step_size < 2/sigma_1^2 = 2"),
        (np.array([[1e10]], dtype=np.float32), np.array([1.0], dtype=np.float32), 1e20, [1], "at step 1: the loss grows "
         "by a factor 1e80 (more than 1e+06) with step_size=1e+20; gradient descent converges for step_size < "
         "2/sigma_1^2 = 2e-20"),
    ]
    for J, r0, eta, its, tail in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(cst.DivergenceError, match="^" + re.escape("linear_residuals (linear GD, eq. 39) diverged "
                                                                          + tail) + "$"):
                linear_residuals(J, r0, eta, its)


@pytest.mark.parametrize("d, diverges", [(-0.25, False), (0.25, True)])
def test_closed_form_divergence_threshold_counts_the_part_outside_the_range(d, diverges):
    """J = (1, 0)ᵀ, r₀ = (1, 1): half of ‖r₀‖² lies outside the range of J and stays, so after one step
    ‖r̃_1‖²/‖r₀‖² = ½ + ½(1 − η)².  With η = 1 + √(2R − 1) that ratio is R; R = 1e6 ∓ ¼ lies just below / above
    the limit 1e6: the run passes / is refused (‖r̃_1‖² = R ‖r₀‖² checked for the one that passes).

    kills mutants: x__check_divergence__mutmut_43, 44, 47, 48, 54, 79, 93, 95."""
    R = 1e6 + d
    eta = 1 + math.sqrt(2 * R - 1)
    J, r0 = np.array([[1.0], [0.0]]), np.array([1.0, 1.0])
    if diverges:
        with pytest.raises(cst.DivergenceError, match=r"diverged at step 1: the loss grows by a factor 1e6 "):
            linear_residuals(J, r0, eta, [1])
    else:
        r1 = linear_residuals(J, r0, eta, [1])[0]
        assert float(r1 @ r1) == pytest.approx(2 * R, rel=1e-12)


def test_closed_form_divergence_check_edge_cases():
    """r₀ = 0 (nothing to diverge: zeros, no 0/0), r₀ of norm 1 wholly on one direction with |1 − ησ²| = 2
    (refused at t = 20, 2⁴⁰ > 1e6, for either sign of r₀), and η σ² = 1 (the direction is gone after one step:
    ‖r̃_t‖ = 0, log 0 = −inf terms, no divergence).

    kills mutants: x__check_divergence__mutmut_1, 3, 51, 94."""
    np.testing.assert_array_equal(linear_residuals(np.array([[2.0]]), np.array([0.0]), 5.0, [0, 3]), [[0.0], [0.0]])
    for sign in (1.0, -1.0):
        with pytest.raises(cst.DivergenceError, match="diverged at step 20: the loss grows by a factor 1e12 "):
            linear_residuals(np.array([[1.0]]), np.array([sign]), 3.0, [20])
    np.testing.assert_array_equal(linear_residuals(np.array([[2.0]]), np.array([3.0]), 0.25, [0, 1, 3]),
                                  [[3.0], [0.0], [0.0]])


# ---------------------------------------------------------------------------
# singular values through the short QR factor (Fig. 4's spectrum)
# ---------------------------------------------------------------------------
@given(m=st.integers(1, 24), N=st.integers(1, 60), rank=st.integers(1, 24), seed=seeds())
def test_singular_values_are_those_of_the_svd_for_any_shape_and_rank(xp, m, N, rank, seed):
    """Wide (QR of Jᵀ), tall (QR of J) and near-square J, of full rank or of a smaller rank: the values of
    LAPACK's SVD to 1e-12 of σ₁, descending, as many as min(m, N), on the backend of J."""
    rng = np.random.default_rng(seed)
    rank = min(rank, m, N)
    Jh = rng.standard_normal((m, rank)) @ (rng.standard_normal((rank, N)) * np.logspace(0, -6, N))
    s = cst.dynamics.singular_values(on_backend(Jh, xp))
    assert B.namespace(s) is xp
    s = cst.to_numpy(s)
    ref = np.linalg.svdvals(Jh)
    assert s.shape == (min(m, N),)
    np.testing.assert_allclose(s, ref, rtol=0, atol=1e-12 * ref[0])
    assert np.all(np.diff(s) <= 0)


def test_left_svd_of_a_wide_jacobian_gives_its_left_singular_vectors():
    """For N ≥ 2m the route through R: W orthonormal, J Jᵀ W = W diag(s²), and s those of the SVD."""
    from cstheory.dynamics import _left_svd
    J = np.random.default_rng(3).standard_normal((6, 40))
    W, s = _left_svd(np, J)
    np.testing.assert_allclose(W.T @ W, np.eye(6), atol=1e-13)
    np.testing.assert_allclose(J @ (J.T @ W), W * s**2, rtol=1e-12, atol=1e-12 * s[0] ** 2)
    np.testing.assert_allclose(s, np.linalg.svdvals(J), rtol=1e-13)


def test_singular_values_names_its_argument():
    with pytest.raises(ValueError, match="J"):
        cst.dynamics.singular_values(np.ones(3))
    with pytest.raises(TypeError, match="J"):
        cst.dynamics.singular_values([[1.0, 2.0]])
