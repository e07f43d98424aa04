"""Tests of cstheory/bounds.py: the right-hand sides of eq. (7) and eq. (8), and Theorem 1 empirically."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstheory as cst
from cstheory import _backend as B
from cstheory.testing import seeds


def eq7_rhs(J, x, m):
    """(Σ_i ⟨w_i, x⟩² / σ_i²) · Σ_{i > 2m/3} σ_i² of eq. (7), written out with a host SVD and 1-based i."""
    W, s, _ = np.linalg.svd(J)  # full: all n left singular vectors, min(n, N) singular values
    n = J.shape[0]
    s = np.concatenate([s, np.zeros(n - s.size)])
    first = 0.0
    for i in range(1, n + 1):
        first += (W[:, i - 1] @ x) ** 2 / s[i - 1] ** 2
    tail = 0.0
    for i in range(1, n + 1):
        if i > 2 * m / 3:
            tail += s[i - 1] ** 2
    return first * tail


def geometric_generator(n, N, gamma, rng):
    """J = W diag(σ) Vᵀ with σ_i² = γ^i (i = 1..n), W = trig_basis in frequency order, V (N, n) orthonormal."""
    W = cst.to_numpy(cst.trig_basis(n))[:, cst.frequency_order(n)]
    sigma = np.sqrt(gamma ** np.arange(1, n + 1))
    V, _ = np.linalg.qr(rng.standard_normal((N, n)))
    return (W * sigma) @ V.T


# ---------------------------------------------------------------------------
# theorem1_bound = eq. (7) without C
# ---------------------------------------------------------------------------
@given(n=st.integers(2, 12), extra=st.integers(0, 8), m=st.integers(1, 20), seed=seeds())
def test_theorem1_bound_matches_formula(n, extra, m, seed, xp):
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((n, n + extra))
    x = rng.standard_normal(n)
    got = cst.theorem1_bound(B.asarray(J, xp=xp), B.asarray(x, xp=xp), m)
    assert isinstance(got, float)
    assert got == pytest.approx(eq7_rhs(J, x, m), rel=1e-9, abs=1e-300)


def test_theorem1_bound_tall_j_is_infinite_off_its_range(xp):
    """N < n: σ_{N+1} = … = σ_n = 0; x with energy there gets inf, x in the range of J a finite number."""
    rng = np.random.default_rng(0)
    J = rng.standard_normal((6, 3))
    assert cst.theorem1_bound(B.asarray(J, xp=xp), B.asarray(rng.standard_normal(6), xp=xp), 2) == math.inf
    x_in = J @ rng.standard_normal(3)
    got = cst.theorem1_bound(B.asarray(J, xp=xp), B.asarray(x_in, xp=xp), 2)
    W, s, _ = np.linalg.svd(J, full_matrices=False)
    assert got == pytest.approx(np.sum((W.T @ x_in) ** 2 / s**2) * np.sum(s[1:] ** 2), rel=1e-9)


def test_theorem1_bound_rank_deficient_wide_j(xp):
    """A wide J of rank r < n has rounding-level singular values; they count as zeros."""
    rng = np.random.default_rng(1)
    J = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 12))
    x_in = J @ rng.standard_normal(12)
    got = cst.theorem1_bound(B.asarray(J, xp=xp), B.asarray(x_in, xp=xp), 3)
    W, s, _ = np.linalg.svd(J, full_matrices=False)
    expected = np.sum((W[:, :3].T @ x_in) ** 2 / s[:3] ** 2) * np.sum(s[2:3] ** 2)
    assert got == pytest.approx(expected, rel=1e-8)
    assert cst.theorem1_bound(B.asarray(J, xp=xp), B.asarray(rng.standard_normal(8), xp=xp), 3) == math.inf


def test_theorem1_bound_bad_inputs(xp):
    J = B.normal((4, 6), xp=xp)
    x = B.normal(4, xp=xp)
    with pytest.raises(ValueError, match="x must have length n = 4"):
        cst.theorem1_bound(J, B.normal(5, xp=xp), 12)
    with pytest.raises(ValueError, match="J must be 2-D"):
        cst.theorem1_bound(x, x, 12)
    with pytest.raises(ValueError, match="m must be"):
        cst.theorem1_bound(J, x, 0)
    with pytest.raises(ValueError, match="x contains non-finite"):
        cst.theorem1_bound(J, x * float("nan"), 12)
    other = "array_api_strict" if B.is_numpy(xp) else "numpy"
    with pytest.raises(TypeError, match="different backends"):
        cst.theorem1_bound(J, B.normal(4, xp=other), 12)


# ---------------------------------------------------------------------------
# Theorem 1, empirically
# ---------------------------------------------------------------------------
def test_theorem1_empirical_ratio_bounded(xp):
    """‖x̂ − x*‖² / theorem1_bound stays below a constant over 40 random draws.

    Each draw (seeds 0..39): n = 48, N = 64, m uniform in [12, 40), γ uniform in [0.6, 0.95],
    J = W diag(σ) Vᵀ with σ_i² = γ^i, W = trig_basis in frequency order, V a random (N, n)
    orthonormal factor; x* = smooth_signal(n, p) with p uniform in [1, n]; A Gaussian (m, n);
    x̂ = J ĉ with ĉ = min_norm_coefficients (eq. 5).

    Measured: the largest ratio over these 40 draws is 0.0997 (over 2000 draws of the same kind
    it was 0.167, median 0.008).  We assert < 0.2, twice the measured maximum and far below the
    paper's proven constant C = 32² = 1024 (Appendix A).
    """
    n, N = 48, 64
    ratios = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        m = int(rng.integers(12, 40))
        gamma = float(rng.uniform(0.6, 0.95))
        p = int(rng.integers(1, n + 1))
        J = geometric_generator(n, N, gamma, rng)
        x = cst.to_numpy(cst.smooth_signal(n, p, rng=rng))
        A = cst.to_numpy(cst.gaussian_matrix(m, n, rng=rng))
        Jx, Ax = B.asarray(J, xp=xp), B.asarray(A, xp=xp)
        c = cst.min_norm_coefficients(Ax, Jx, Ax @ B.asarray(x, xp=xp))
        err = float(np.sum((J @ cst.to_numpy(c) - x) ** 2))
        bound = cst.theorem1_bound(Jx, B.asarray(x, xp=xp), m)
        assert 0.0 < bound < math.inf
        ratios.append(err / bound)
    assert max(ratios) < 0.2, f"largest ratio {max(ratios):.4g}"
    assert max(ratios) > 0.01  # the bound is not vacuous: the constant is of order 0.1, not 1e-6


# ---------------------------------------------------------------------------
# geometric_bound, eq. (8)
# ---------------------------------------------------------------------------
@given(gamma=st.floats(0.01, 0.99), m=st.integers(1, 200), x_norm=st.floats(0.0, 10.0))
def test_geometric_bound_formula(gamma, m, x_norm):
    assert cst.geometric_bound(gamma, m, x_norm) == pytest.approx(
        gamma ** (m / 3) / (1 - gamma) * x_norm**2, rel=1e-12, abs=1e-300)


@given(gamma=st.floats(0.3, 0.95), m=st.integers(3, 45), seed=seeds())
def test_geometric_bound_dominates_theorem1_bound(gamma, m, seed):
    """The derivation below eq. (8): for σ_i² = γ^i and x* ∈ span(w_1 … w_{m/3}), eq. (7)'s RHS ≤ eq. (8)."""
    n, N = 48, 56
    rng = np.random.default_rng(seed)
    J = geometric_generator(n, N, gamma, rng)
    x = 2.0 * cst.to_numpy(cst.smooth_signal(n, max(1, m // 3), rng=rng))
    assert cst.theorem1_bound(J, x, m) <= cst.geometric_bound(gamma, m, 2.0) * (1 + 1e-9)


@pytest.mark.parametrize("gamma", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_geometric_bound_bad_gamma(gamma):
    with pytest.raises(ValueError, match="gamma must lie in"):
        cst.geometric_bound(gamma, 12)


def test_geometric_bound_bad_m_and_norm():
    with pytest.raises(ValueError, match="m must be"):
        cst.geometric_bound(0.5, 0)
    with pytest.raises(TypeError, match="m must be"):
        cst.geometric_bound(0.5, 12.0)
    with pytest.raises(ValueError, match="x_norm must be"):
        cst.geometric_bound(0.5, 12, -1.0)


# ---------------------------------------------------------------------------
# spectral_bound, the common core
# ---------------------------------------------------------------------------
def test_spectral_bound_inf_on_zero_sigma_direction(xp):
    sigma = B.asarray([1.0, 0.5, 0.0], xp=xp)
    assert cst.spectral_bound(sigma, B.asarray([1.0, 1.0, 0.3], xp=xp), 2) == math.inf
    # no energy on the zero direction: finite, (1 + 4) · (0.5² + 0) for m = 2 (tail from sorted index 1)
    assert cst.spectral_bound(sigma, B.asarray([1.0, 1.0, 0.0], xp=xp), 2) == pytest.approx(5.0 * 0.25)


@given(seed=seeds(), m=st.integers(1, 15))
def test_spectral_bound_is_order_invariant(seed, m):
    """σ and the coefficients are sorted together, so any joint permutation gives the same bound."""
    rng = np.random.default_rng(seed)
    sigma = rng.uniform(0.1, 2.0, 10)
    coeffs = rng.standard_normal(10)
    perm = rng.permutation(10)
    assert cst.spectral_bound(sigma[perm], coeffs[perm], m) == pytest.approx(
        cst.spectral_bound(sigma, coeffs, m), rel=1e-12)


def test_spectral_bound_bad_inputs():
    with pytest.raises(ValueError, match="equal length"):
        cst.spectral_bound(np.ones(3), np.ones(4), 2)
    with pytest.raises(ValueError, match="non-negative"):
        cst.spectral_bound(np.array([1.0, -1.0]), np.ones(2), 2)
    with pytest.raises(ValueError, match="m must be"):
        cst.spectral_bound(np.ones(3), np.ones(3), 0)


# ---------------------------------------------------------------------------
# scale safety (issue 14): the bounds are invariant under J → cJ, σ → cσ and homogeneous in x
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("c", [1e-300, 1e-200, 1e200, 1e300])
def test_theorem1_bound_is_invariant_under_extreme_scalings_of_J(xp, c):
    rng = np.random.default_rng(0)
    J = B.asarray(rng.standard_normal((6, 9)) * 0.5 ** np.arange(6)[:, None], xp=xp)
    x = B.asarray(rng.standard_normal(6), xp=xp)
    ref = cst.theorem1_bound(J, x, 6)
    got = cst.theorem1_bound(c * J, x, 6)
    assert math.isfinite(got) and got == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("c", [1e-150, 1e150])
def test_theorem1_bound_is_quadratic_in_x(xp, c):
    rng = np.random.default_rng(1)
    J = B.asarray(rng.standard_normal((5, 7)), xp=xp)
    x = B.asarray(rng.standard_normal(5), xp=xp)
    assert cst.theorem1_bound(J, c * x, 3) == pytest.approx(c * c * cst.theorem1_bound(J, x, 3), rel=1e-12)


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_spectral_bound_is_invariant_under_scaling_sigma(c):
    sigma = 0.8 ** np.arange(10)
    coeff = np.random.default_rng(2).standard_normal(10)
    ref = cst.spectral_bound(sigma, coeff, 6)
    assert cst.spectral_bound(c * sigma, coeff, 6) == pytest.approx(ref, rel=1e-13)
    assert cst.spectral_bound(sigma, np.zeros(10), 6) == 0.0
    assert cst.spectral_bound(np.zeros(10), coeff, 6) == math.inf


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_theorem2_bound_is_invariant_under_scaling_the_kernel(c):
    u = np.asarray(cst.kernels.triangular(16, 3))
    x = np.asarray(cst.smooth_signal(16, 3, rng=1))
    ref = cst.theorem2_bound(u, x, 8, xi=0.1)
    assert cst.theorem2_bound(c * u, x, 8, xi=0.1) == pytest.approx(ref, rel=1e-10)


def test_geometric_bound_without_overflow():
    assert cst.geometric_bound(0.5, 3, x_norm=1e150) == pytest.approx(0.5 / 0.5 * 1e300, rel=1e-12)
    assert cst.geometric_bound(0.5, 3, x_norm=1e200) == math.inf      # 1e400: beyond the float range
    assert cst.geometric_bound(0.5, 3, x_norm=0.0) == 0.0
    assert cst.geometric_bound(0.9, 3000) == pytest.approx(0.9**1000 / 0.1, rel=1e-10)
@given(n=st.integers(2, 10), extra=st.integers(0, 6), m=st.integers(1, 16), seed=seeds(),
       c=st.sampled_from([-1e3, -2.5, -1.0, 1e-20, 1e-3, 0.3, 7.0]))
def test_theorem1_bound_is_invariant_under_scaling_J(n, extra, m, seed, c, xp):
    """Eq. (7) is scale-free in J: J → cJ (c ≠ 0) multiplies every σ_i by |c| (and may flip w_i), so
    Σ⟨w_i,x⟩²/σ_i² gains 1/c² and the tail Σσ_i² gains c².  Also invariant under J → J Q for an
    orthogonal Q (same left singular vectors and values).  The 1/σ_n² term amplifies rounding by κ(J)²:
    measured relative change ≤ 1.4e-14 over 200 random draws with one BLAS thread, and up to 1e-9 on an
    ill-conditioned draw with two (another summation order in the SVD), so the tolerance is
    max(1e-12, 1e-13·κ(J)²) — still far below what a wrong power of c or a dropped term gives (O(1))."""
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((n, n + extra))
    x = rng.standard_normal(n)
    Q, _ = np.linalg.qr(rng.standard_normal((n + extra, n + extra)))
    tol = max(1e-12, 1e-13 * np.linalg.cond(J) ** 2)
    ref = cst.theorem1_bound(B.asarray(J, xp=xp), B.asarray(x, xp=xp), m)
    assert cst.theorem1_bound(B.asarray(c * J, xp=xp), B.asarray(x, xp=xp), m) == pytest.approx(ref, rel=tol)
    assert cst.theorem1_bound(B.asarray(J @ Q, xp=xp), B.asarray(x, xp=xp), m) == pytest.approx(ref, rel=tol)
    # and it is quadratic in x
    assert cst.theorem1_bound(B.asarray(J, xp=xp), B.asarray(c * x, xp=xp), m) == pytest.approx(c * c * ref, rel=tol)


def test_spectral_bound_rounding_threshold_on_zero_weights():
    """On a direction with σ_i = 0 a coefficient up to 1000·eps·max|c| is rounding (finite bound), anything
    above is energy the generator cannot produce (inf), at every scale of c.
    kills mutants: eps/max|c|, max(max|c|, 1), 1001 for 1000, ≥ for >."""
    eps = np.finfo(np.float64).eps
    sigma = np.array([2.0, 0.0])
    for big in (1e-20, 1.0, 1e3):
        tiny = eps * big * 1e3
        assert cst.spectral_bound(sigma, np.array([big, tiny]), 1) == pytest.approx((big / 2) ** 2 * 4.0, rel=1e-15)
        assert cst.spectral_bound(sigma, np.array([big, 1.0005 * tiny]), 1) == math.inf


def test_theorem1_bound_float32_rank_deficient_and_tiny_scale(xp):
    """Rounding-level singular values (and coefficients) are judged in J's own precision (float32:
    eps = 1.2e-7) and relative to σ_max (also for a J scaled by 1e-20): x outside the range gets inf, x
    inside the float64 value (float32: measured relative error 9.4e-8, asserted 1e-6; before the fix a
    float32 J gave 81 instead of 12.85 and a finite 7e16 off the range).
    kills mutants: finfo(None) (float64's eps for a float32 J); s.max(initial=1.0) too before J was scaled
    by max|J| (since then σ_max ≥ 1 and that mutant is equivalent, tests/MUTATION.md)."""
    rng = np.random.default_rng(2)
    J = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 9))
    x_in = J @ rng.standard_normal(9)
    x_out = rng.standard_normal(6)
    ref = cst.theorem1_bound(J, x_in, 2)
    for scale, dtype, rtol in ((1.0, "float32", 1e-6), (1e-20, "float64", 1e-9)):
        Jb = B.asarray(scale * J, xp=xp, dtype=dtype)
        assert cst.theorem1_bound(Jb, B.asarray(x_in, xp=xp, dtype=dtype), 2) == pytest.approx(ref, rel=rtol)
        assert cst.theorem1_bound(Jb, B.asarray(x_out, xp=xp, dtype=dtype), 2) == math.inf


def test_bounds_messages_and_defaults():
    """Anchored messages; geometric_bound's default ‖x*‖ = 1.  kills mutants: default x_norm 2, altered
    message of spectral_bound, x's 1-D check dropped in theorem1_bound."""
    import re
    assert cst.geometric_bound(0.5, 12) == pytest.approx(0.5**4 / 0.5, rel=1e-15)
    with pytest.raises(ValueError, match="^" + re.escape("sigma contains non-finite values (NaN or inf)") + "$"):
        cst.spectral_bound(np.array([1.0, np.inf]), np.ones(2), 2)
    with pytest.raises(ValueError, match="^" + re.escape("x must be 1-D, got shape (4, 1)") + "$"):
        cst.theorem1_bound(np.ones((4, 6)), np.ones((4, 1)), 2)


def test_spectral_bound_integer_coefficients():
    """Integer ⟨w_i, x⟩ are refused (the input contract); as floats: energy 3²/2² = 2.25 times the
    tail σ_1² + σ_2² = 4 (m = 1: every index), 9."""
    with pytest.raises(TypeError, match="coefficients"):
        cst.spectral_bound(np.array([2.0, 0.0]), np.array([3, 0]), 1)
    assert cst.spectral_bound(np.array([2.0, 0.0]), np.array([3.0, 0.0]), 1) == pytest.approx(9.0, rel=1e-15)


# ---------------------------------------------------------------------------
# mutation testing of bounds.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("sigma, coefficients, exc, message", [
    (np.ones((3, 1)), np.ones(3), ValueError, "sigma must be 1-D, got shape (3, 1)"),
    (np.ones(3), np.ones((3, 1)), ValueError, "coefficients must be 1-D, got shape (3, 1)"),
    (np.array([1.0, -1.0]), np.ones(2), ValueError,
     "sigma must be non-negative (sigma_i >= 0 are singular values or weights)"),
    (np.ones(3), "strict", TypeError, "coefficients is an array of array_api_strict but sigma is an array of numpy: "
     "different backends in one call; convert them to one (cstheory.to_numpy or xp.asarray)"),
    ("strict", np.ones(3), TypeError, "coefficients is an array of numpy but sigma is an array of array_api_strict: "
     "different backends in one call; convert them to one (cstheory.to_numpy or xp.asarray)"),
])
def test_spectral_bound_messages_name_the_argument(sigma, coefficients, exc, message):
    """The whole message, anchored: a 2-D σ or coefficient vector is refused by its own rank check (not by the
    later length comparison), and an argument of another backend is named with the other one.

    kills mutants: x_spectral_bound__mutmut_3, 6, 12, 15, 16, 19, 20, 21, 22, 43."""
    import re
    import array_api_strict as xs
    sigma = xs.ones(3, dtype=xs.float64) if isinstance(sigma, str) else sigma
    coefficients = xs.ones(3, dtype=xs.float64) if isinstance(coefficients, str) else coefficients
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        cst.spectral_bound(sigma, coefficients, 2)


def test_spectral_bound_judges_rounding_in_the_coefficients_precision():
    """On a direction with σ = 0 a coefficient up to 1000·eps·max|c| is rounding, eps of the coefficients'
    own precision: 1e-5 is rounding for float32 coefficients (1000·eps₃₂ = 1.19e-4), so the bound is
    (1²/1²)·(1² + 0²) = 1 for m = 1, but energy off the range for float64 ones (1000·eps₆₄ = 2.2e-13): inf.
    1.5e-4 is above float32's level too.

    kills mutants: x_spectral_bound__mutmut_52, 54, 55, 56 (float64's eps for float32 coefficients)."""
    sigma = np.array([1.0, 0.0])
    assert cst.spectral_bound(sigma, np.array([1.0, 1e-5], dtype=np.float32), 1) == 1.0
    assert cst.spectral_bound(sigma, np.array([1.0, 1e-5]), 1) == math.inf
    assert cst.spectral_bound(sigma, np.array([1.0, 1.5e-4], dtype=np.float32), 1) == math.inf


def test_spectral_bound_energy_beyond_the_float_range_times_an_empty_tail_is_zero():
    """σ = (1, 1e-200), c = (0, 1): the energy Σ c²/σ² = 1e400 overflows (σ² underflows to 0), but for m = 3
    the tail Σ_{i > 2} σ_i² is empty, and the bound (1e400 · 0) is 0, not inf · 0 = NaN; for m = 1 the tail
    is 1 and the bound inf.  (The overflow raises numpy's floating-point warnings, silenced here.)

    kills mutant: x__spectral_bound__mutmut_72 (the ``core > 0`` guard dropped)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        assert cst.spectral_bound(np.array([1.0, 1e-200]), np.array([0.0, 1.0]), 3) == 0.0
        assert cst.spectral_bound(np.array([1.0, 1e-200]), np.array([0.0, 1.0]), 1) == math.inf


def test_theorem1_bound_memory_estimate_is_twice_three_arrays(monkeypatch):
    """theorem1_bound asks for 2 · 8 · (n² + n·N + min(n, N)·N) bytes (W, J, V of the SVD, twice): for
    J of shape (4, 6) that is 2 · 8 · (16 + 24 + 24) = 1024 bytes; exactly that is allowed, one byte less is
    refused with a message naming the call.

    kills mutants: x_theorem1_bound__mutmut_39, 42, 46, 47, 48, 53."""
    J, x = np.eye(4, 6), np.ones(4)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "1024")
    assert cst.theorem1_bound(J, x, 2) == pytest.approx(4.0 * 3.0, rel=1e-15)   # Σ 1²/1² · (σ_2² + σ_3² + σ_4²), i > 4/3
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "1023")
    with pytest.raises(ValueError, match=r"^theorem1_bound\(J of shape \(4, 6\)\): the SVD needs 1024 bytes \(1 KiB\), "
                                         r"more than the limit of 1023 bytes"):
        cst.theorem1_bound(J, x, 2)


def test_geometric_bound_is_finite_up_to_the_largest_float():
    """γ^{m/3}/(1 − γ)·‖x‖² for γ = ½, m = 3 is ‖x‖²: finite up to the largest float (1.797e308, log ≈ 709.78),
    inf beyond it.  (Before the fix it returned inf from e^709 ≈ 8.2e307 on: 1.5e308 came back as inf.)"""
    assert cst.geometric_bound(0.5, 3, x_norm=math.sqrt(1.5e308)) == pytest.approx(1.5e308, rel=1e-12)
    assert cst.geometric_bound(0.5, 3, x_norm=math.sqrt(1.7e308)) == pytest.approx(1.7e308, rel=1e-12)
    assert cst.geometric_bound(0.5, 3, x_norm=1.4e154) == math.inf        # 1.96e308: beyond the float range
