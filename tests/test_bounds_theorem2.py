"""Tests of the Theorem-2/3 additions to cstheory/bounds.py: the RHS of eq. (13)/(23) and App. D's constants."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import cstheory as cst
from cstheory import _backend as B
from cstheory.bounds import Theorem3Quantities, theorem2_bound, theorem3_quantities
from cstheory.testing import kernels as kernel_strategy, on_backend, seeds, sizes


def eq13_dense(u, x, m):
    """(Σ_i ⟨v_i, x⟩²/λ_i) · Σ_{i > 2m/3} λ_i with (λ_i, v_i) = eigh of the dense Σ(circulant(u)), 1-based i."""
    S = cst.to_numpy(cst.sigma_matrix(cst.circulant_matrix(np.asarray(u))))
    lam, V = np.linalg.eigh(S)
    order = np.argsort(-lam)
    lam, V = lam[order], V[:, order]
    energy = sum((V[:, i] @ x) ** 2 / lam[i] for i in range(len(lam)))
    tail = sum(lam[i - 1] for i in range(1, len(lam) + 1) if i > 2 * m / 3)
    return energy * tail


# ---------------------------------------------------------------------------
# theorem2_bound = eq. (13) without C
# ---------------------------------------------------------------------------
@given(data=st.data(), n=sizes(2, 24), m=st.integers(1, 30), seed=seeds())
def test_theorem2_bound_matches_dense_eigendecomposition(xp, data, n, m, seed):
    """The FFT route (σ of eq. 11 paired with trig_basis) equals the dense eigh of Σ(U), for any kernel.

    Inside a degenerate eigenspace (cos/sin pairs share σ) the energy Σ⟨v_i, x⟩²/λ_i does not depend
    on the eigenvectors chosen, so the two computations must agree."""
    u = data.draw(kernel_strategy(n))
    lam = np.linalg.eigvalsh(cst.to_numpy(cst.sigma_matrix(cst.circulant_matrix(u))))
    assume(lam.min() > 1e-6 * lam.max())  # well-conditioned: 1/λ_min is accurate in both routes
    x = np.random.default_rng(seed).standard_normal(n)
    got = theorem2_bound(on_backend(u, xp), on_backend(x, xp), m)
    assert isinstance(got, float)
    assert got == pytest.approx(eq13_dense(u, x, m), rel=1e-8)
    # the ξ term is ξ²‖x‖²
    with_xi = theorem2_bound(on_backend(u, xp), on_backend(x, xp), m, xi=0.3)
    assert with_xi - got == pytest.approx(0.09 * float(x @ x), rel=1e-9)


def test_theorem2_bound_triangular_smooth_signal():
    """A p-smooth signal and a triangular kernel: the bound falls with m (the tail sum shrinks)."""
    n = 64
    u = cst.kernels.triangular(n, 8)
    x = cst.smooth_signal(n, 6, rng=0)
    values = [theorem2_bound(u, x, m) for m in (3, 12, 24, 48, 96)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert values[-1] == 0.0  # 2m/3 ≥ n: the tail is empty
    assert values[0] == pytest.approx(eq13_dense(u, cst.to_numpy(x), 3), rel=1e-8)


def test_theorem2_bound_infinite_off_the_range():
    """A one-hot kernel with n = 2 has u ⋆ u = [1, 0]: Σ = ½ I, finite; a kernel whose Σ(U) is
    singular (u = [1, 1], U = [[1, 1], [1, 1]]) gives inf for x with energy on the null direction."""
    u = np.array([1.0, 1.0])
    assert theorem2_bound(u, np.array([1.0, -1.0]), 1) == math.inf
    assert math.isfinite(theorem2_bound(u, np.array([1.0, 1.0]), 1))
    assert theorem2_bound(np.array([1.0, 0.0]), np.array([3.0, 4.0]), 1) == pytest.approx(25 / 0.5 * 1.0)


def test_observed_error_over_theorem2_bound_stays_below_a_constant():
    """‖G(C_T) − x*‖² / (eq. 13 RHS without C, ξ = 0) stays below a constant over random draws.

    Draw s = 0..9: n = 64, k = 64, m uniform in [12, 32] (Theorem 2 asks m ≥ 12), p uniform in
    [1, 16], triangular kernel of width 4 or 8; x* = smooth_signal(64, p), A Gaussian, GD from
    Theorem 3's start (ξ = 0.1) with the default step for 1500 steps (loss down 1e-2 … 1e-30).
    Measured: the largest ratio over these 10 draws is 0.0830 (draw 4: m = 27, p = 16, width 8,
    error 0.353 against a bound of 4.25); over 40 draws of the same kind also 0.0830, median 0.004.
    With ξ = 0.1 in the bound the ratios barely change (0.0828).  We assert < 0.2, and that the
    constant is not vacuously small (> 0.01).
    """
    n, k = 64, 64
    ratios = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        m = int(rng.integers(12, 33))
        p = int(rng.integers(1, 17))
        width = int(rng.choice([4, 8]))
        u = cst.kernels.triangular(n, width)
        x = cst.smooth_signal(n, p, rng=rng)
        A = cst.gaussian_matrix(m, n, rng=rng)
        res = cst.fit(cst.TwoLayerGenerator(u, k), A, A @ x, steps=1500, x_true=x, record_every=1500, rng=seed)
        bound = theorem2_bound(u, x, m)
        assert 0.0 < bound < math.inf
        ratios.append(res.error[-1] / bound)
    assert max(ratios) < 0.2, f"largest ratio {max(ratios):.4g}"
    assert max(ratios) > 0.01


def test_theorem2_bound_bad_inputs(xp):
    u = cst.kernels.triangular(8, 2, xp=xp)
    x = B.normal(8, xp=xp)
    with pytest.raises(ValueError, match="x must have length n = 8"):
        theorem2_bound(u, B.normal(7, xp=xp), 4)
    with pytest.raises(ValueError, match="x must be 1-D"):
        theorem2_bound(u, B.normal((8, 1), xp=xp), 4)
    with pytest.raises(ValueError, match="m must be"):
        theorem2_bound(u, x, 0)
    with pytest.raises(ValueError, match="xi must be >= 0"):
        theorem2_bound(u, x, 4, xi=-0.1)
    with pytest.raises(ValueError, match="all zero"):
        theorem2_bound(u * 0.0, x, 4)
    other = "array_api_strict" if B.is_numpy(xp) else "numpy"
    with pytest.raises(TypeError, match="different backends"):
        theorem2_bound(u, B.normal(8, xp=other), 4)


# ---------------------------------------------------------------------------
# theorem3_quantities against App. D by hand
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("n, width, m, k, xi, delta", [(64, 8, 16, 256, 0.1, 0.01), (300, 20, 30, 4096, 0.2, 0.05),
                                                       (27, 3, 3, 2, 1.0, 0.5)])
def test_theorem3_quantities_match_appendix_d(n, width, m, k, xi, delta):
    u = cst.kernels.triangular(n, width)
    q = theorem3_quantities(u, m, xi=xi, delta=delta, k=k, y_norm=2.0)
    assert isinstance(q, Theorem3Quantities)
    U = cst.to_numpy(cst.circulant_matrix(u))
    U_norm = np.linalg.norm(U, 2)
    lam = np.linalg.eigvalsh(cst.to_numpy(cst.sigma_matrix(U)))
    s_n = math.sqrt(lam.min())
    alpha = math.sqrt(n / m) * s_n / (3 * math.sqrt(2))
    beta = 2 * math.sqrt(n / m) * U_norm
    kappa = U_norm**2 / s_n**2
    eps0 = 2 * beta * (math.log(2 * n / delta) / k) ** 0.25
    eps = xi / 16 * alpha**4 / beta**3
    assert q.U_norm == pytest.approx(U_norm, rel=1e-12)
    assert q.sigma_min == pytest.approx(s_n, rel=1e-9)
    assert q.sigma_max == pytest.approx(math.sqrt(lam.max()), rel=1e-9)
    assert q.kappa == pytest.approx(kappa, rel=1e-9)
    assert q.alpha == pytest.approx(alpha, rel=1e-9)
    assert q.beta == pytest.approx(beta, rel=1e-12)
    assert q.beta / q.alpha == pytest.approx(6 * math.sqrt(2) * math.sqrt(kappa), rel=1e-9)
    assert q.omega == pytest.approx(xi * 2.0 / (2 * math.sqrt(n) * U_norm), rel=1e-12)
    assert q.omega == pytest.approx(xi * 2.0 / (beta * math.sqrt(m)), rel=1e-12)  # the two forms of ω in App. D
    assert q.step_size_bound == pytest.approx(m / (4 * n * U_norm**2), rel=1e-12)
    assert q.step_size_bound == pytest.approx(1 / beta**2, rel=1e-12)
    assert q.epsilon0 == pytest.approx(eps0, rel=1e-12)
    assert q.epsilon == pytest.approx(eps, rel=1e-9)
    assert q.log10_width_eq21 == pytest.approx(math.log10(kappa**26 * m / xi**8), rel=1e-9)
    assert q.log10_width_proof == pytest.approx(math.log10(m * xi**-8 * 81 * 64.0**6) + 26 * math.log10(beta / alpha),
                                                rel=1e-9)
    # at the reported width Theorem 4's condition 2β(ε₀ + ε) ≤ α² holds with equality
    k4 = 10**q.log10_width_theorem4
    eps0_k4 = 2 * beta * (math.log(2 * n / delta) / k4) ** 0.25
    assert 2 * beta * (eps0_k4 + eps) == pytest.approx(alpha**2, rel=1e-6)
    assert q.theorem4_condition == pytest.approx(2 * beta * (eps0 + eps) / alpha**2, rel=1e-9)
    assert q.xi_max == pytest.approx(1 / math.sqrt(2 * math.log(2 * n / delta)), rel=1e-12)
    assert q.measurements_ok == (m <= n / 9)
    assert q.xi_ok == (xi <= q.xi_max)
    assert q.probability == pytest.approx(1 - n * math.exp(-k * k) - 2 * math.exp(-m / 2) - delta, rel=1e-12)
    assert not q.width_ok  # no practical width meets eq. (21)


def test_theorem3_summary_says_how_far_practice_is():
    """Measured for triangular(64, 8), m = 16, k = 256, ξ = 0.1: κ_u = 641, eq. (21) asks k ≥ 1e82,
    Theorem 4's condition alone needs k ~ 1e22, and m ≤ n/9 fails (16 > 7.1)."""
    q = theorem3_quantities(cst.kernels.triangular(64, 8), 16)
    text = str(q)
    assert text == q.summary()
    assert q.kappa == pytest.approx(641, rel=1e-3)
    assert round(q.log10_width_eq21) == 82
    assert round(q.log10_width_theorem4) == 22
    assert "eq. (21) asks k >= 1e82 channels" in text and "this setup uses 256" in text
    assert "m <= n/9: 16 <= 7.111 (violated)" in text
    assert q.width_eq21 == math.inf or q.width_eq21 > 1e80


def test_theorem3_quantities_bad_inputs():
    u = cst.kernels.triangular(16, 3)
    with pytest.raises(ValueError, match="n must equal the length of the kernel u"):
        theorem3_quantities(u, 4, n=15)
    with pytest.raises(ValueError, match="m must be"):
        theorem3_quantities(u, 0)
    with pytest.raises(ValueError, match="xi must be > 0"):
        theorem3_quantities(u, 4, xi=0.0)
    with pytest.raises(ValueError, match="delta must lie in"):
        theorem3_quantities(u, 4, delta=1.0)
    with pytest.raises(TypeError, match="k must be an integer"):
        theorem3_quantities(u, 4, k=2.5)
    with pytest.raises(ValueError, match="all zero"):
        theorem3_quantities(u * 0.0, 4)


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_theorem3_quantities_scale_with_the_kernel(c):
    """κ, β/α, the widths and Theorem 4's ratio do not depend on the scale of u; α, β, ‖U‖ scale with it."""
    u = np.asarray(cst.kernels.triangular(32, 4))
    q, qc = theorem3_quantities(u, 3), theorem3_quantities(c * u, 3)
    assert qc.kappa == pytest.approx(q.kappa, rel=1e-10)
    assert qc.log10_width_eq21 == pytest.approx(q.log10_width_eq21, rel=1e-10)
    assert qc.theorem4_condition == pytest.approx(q.theorem4_condition, rel=1e-10)
    assert qc.U_norm == pytest.approx(c * q.U_norm, rel=1e-12) and qc.alpha == pytest.approx(c * q.alpha, rel=1e-10)
    assert "nan" not in str(qc).lower()


def test_theorem3_summary_with_a_zero_weight_does_not_divide_by_zero():
    import dataclasses

    q = theorem3_quantities(np.asarray(cst.kernels.triangular(16, 2)), 2)
    z = dataclasses.replace(q, sigma_min=0.0, alpha=0.0, kappa=math.inf, log10_width_eq21=math.inf)
    assert z.theorem4_condition == math.inf and not z.width_ok
    text = str(z)
    assert "beta/alpha = inf" in text and "fails" in text


def test_theorem2_weights_at_rounding_level_count_as_zero(monkeypatch):
    """σ_i² ≤ n·eps·σ_max² counts as 0: energy of x there gives inf; a weight just above it does not."""
    from cstheory import spectrum

    n = 8
    u = np.asarray(cst.kernels.triangular(n, 2))
    x = np.asarray(cst.trig_basis(n))[:, n - 1]                 # all of x on w_{n-1}
    rounding = math.sqrt(n * np.finfo(np.float64).eps)
    for last, finite in ((0.5 * rounding, False), (2.0 * rounding, True)):
        sigma = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, last])
        monkeypatch.setattr(spectrum, "sigma_weights", lambda v, s=sigma: s)
        assert math.isfinite(theorem2_bound(u, x, 4)) == finite
def test_theorem3_quantities_for_a_kernel_with_singular_sigma():
    """u = [1, 1] gives Σ(U) = [[1, 1], [1, 1]]: σ_n = 0, so κ_u, β/α and every width are infinite, α = ε = 0,
    and the summary says so (it used to divide by α = 0).  kills mutants: the `if σ_n > 0`, `if α > 0` and
    `if slack > 0` guards dropped or relaxed to ≥."""
    q = theorem3_quantities(np.array([1.0, 1.0]), 1)
    assert q.sigma_min == 0.0 and q.alpha == 0.0 and q.epsilon == 0.0
    assert q.kappa == q.log10_width_eq21 == q.log10_width_proof == q.log10_width_theorem4 == math.inf
    assert q.theorem4_condition == math.inf and q.width_eq21 == math.inf and not q.width_ok
    text = q.summary()
    assert "(beta/alpha = inf)" in text and "the ratio is inf (fails); it holds only from k ~ inf channels" in text
    assert "eq. (21) asks k >= inf channels (C = 1; the proof's explicit constant: inf)" in text
    assert "short by a factor inf" in text


def test_theorem3_summary_lines_when_everything_holds_and_when_nothing_does():
    """The summary's verdicts follow the fields: Theorem 4's condition holds at k = 10^100 (and eq. (21)
    too, so no shortfall is printed), m ≤ n/9 and ξ ≤ ξ_max are 'ok'; for m = 16, ξ = 0.5 they are
    'violated' and the shortfall is 10^(log10 width − log10 k).  kills mutants: altered or inverted verdicts."""
    u = cst.kernels.triangular(64, 8)
    good = theorem3_quantities(u, 3, k=10**100, xi=0.1)
    lines = good.summary().split("\n")
    assert len(lines) == 10 and lines[0].startswith("Theorem 3 for n = 64, m = 3, k = 1") and all(
        line.startswith("  ") for line in lines[1:])
    assert lines[2] == (f"  alpha = {good.alpha:.4g}, beta = {good.beta:.4g} (beta/alpha = {good.beta / good.alpha:.4g}), "
                        f"omega = {good.omega:.4g} (for ||y|| = 1)")
    assert f"the ratio is {good.theorem4_condition:.4g} (holds)" in lines[5] and good.theorem4_condition <= 1
    assert good.width_ok and lines[6].endswith(f"this setup uses {10**100}")
    assert lines[7] == "  m <= n/9: 3 <= 7.111 (ok)"
    assert lines[8] == f"  xi <= 1/sqrt(2 log(2n/delta)) = {good.xi_max:.4g} (ok)"
    bad = theorem3_quantities(u, 16, xi=0.5)
    text = bad.summary()
    assert f"the ratio is {bad.theorem4_condition:.4g} (fails)" in text and bad.theorem4_condition > 1
    assert "m <= n/9: 16 <= 7.111 (violated)" in text
    assert f"xi <= 1/sqrt(2 log(2n/delta)) = {bad.xi_max:.4g} (violated)" in text and not bad.xi_ok
    assert text.endswith(f"success probability >= 1 - n e^(-k^2) - 2 e^(-m/2) - delta = {bad.probability:.4g}")
    assert f", short by a factor 1e{bad.log10_width_eq21 - math.log10(256):.0f}" in text


def test_theorem3_quantities_defaults_and_small_width():
    """Defaults ξ = 0.1 and ‖y‖ = 1 (ω = ξ/(2√n‖U‖)); at k = 3 the success probability keeps the term
    n e^{−k²} (kills exp(−2k) for exp(−k²), which agree only at k = 2)."""
    u = cst.kernels.triangular(27, 3)
    q = theorem3_quantities(u, 3, k=3)
    U_norm = np.abs(np.fft.fft(cst.to_numpy(u))).max()
    assert q.xi == 0.1 and q.y_norm == 1.0
    assert q.omega == pytest.approx(0.1 / (2 * math.sqrt(27) * U_norm), rel=1e-12)
    assert q.probability == pytest.approx(1 - 27 * math.exp(-9) - 2 * math.exp(-1.5) - 0.01, rel=1e-12)


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_theorem2_bound_zero_weights_at_any_kernel_scale(scale):
    """u = c·1 (n = 7): Σ(U) = (c²·7/2)·𝟙𝟙ᵀ has rank one, and the FFT returns σ_2 … σ_5 at rounding level
    (≈ 5e-9 σ_max, σ² ≈ 3e-17 σ_max²): they count as zero relative to σ_max² at any scale c, so x = w_2 gets
    inf, while the constant x = 1 in the range gets the scale-free value n = 7.
    kills mutants: threshold eps/σ_max², σ_max·2, σ_max³ instead of σ_max², ``<`` instead of ``<=``."""
    u = scale * np.ones(7)
    s = cst.sigma_weights(u)
    assert 0 < s[2] < 1e-8 * s.max()                 # rounding level, not an exact zero
    assert theorem2_bound(u, cst.trig_basis(7)[:, 2], 1) == math.inf
    assert theorem2_bound(u, np.ones(7), 1) == pytest.approx(7.0, rel=1e-12)


def test_theorem2_bound_float32_kernel():
    """A float32 kernel and signal: rounding-level weights judged in float32; the value is the float64 one
    (measured relative difference 6.6e-8; asserted 1e-6)."""
    u, x = cst.kernels.triangular(16, 3), cst.smooth_signal(16, 3, rng=1)
    ref = theorem2_bound(u, x, 4)
    assert theorem2_bound(u.astype(np.float32), x.astype(np.float32), 4) == pytest.approx(ref, rel=1e-6)
    assert theorem2_bound(np.array([1.0, 1.0], dtype=np.float32), np.array([2.0, 0.0], dtype=np.float32), 1) == math.inf


def test_theorem2_bound_keeps_the_device():
    """x on a non-default array_api_strict device: the basis W is built there (kills device dropped)."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    u_h, x_h = cst.to_numpy(cst.kernels.triangular(8, 2)), np.random.default_rng(0).standard_normal(8)
    got = theorem2_bound(xs.asarray(u_h, device=dev), xs.asarray(x_h, device=dev), 3)
    assert got == pytest.approx(theorem2_bound(u_h, x_h, 3), rel=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), "n must be an integer >= 1, got 0"),
    (dict(delta=-0.1), "delta must lie in (0, 1), got -0.1"),
    (dict(y_norm=0.0), "y_norm must be > 0, got 0"),
])
def test_theorem3_quantities_messages(kwargs, message):
    """The whole message, anchored (kills renamed arguments)."""
    import re
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        theorem3_quantities(cst.kernels.triangular(16, 3), 4, **kwargs)


def test_rounding_level_weights_of_a_float32_kernel():
    """u = 1 in float32 (n = 7): the FFT leaves σ_1 at 1.3e-4 σ_max (σ² ≈ 2e-8 σ_max², float32 rounding),
    below n·eps₃₂·σ_max², so x = w_1 gets inf; judged with float64's eps it would stay a (spurious)
    weight.  kills mutant: finfo(None) for the kernel's dtype in theorem2_bound."""
    u = np.ones(7, dtype=np.float32)
    assert theorem2_bound(u, cst.trig_basis(7, dtype="float32")[:, 1], 1) == math.inf
    assert theorem2_bound(u, np.ones(7, dtype=np.float32), 1) == pytest.approx(7.0, rel=1e-6)


def test_theorem3_summary_fails_between_one_and_two():
    """At k = 10^(log10 width of Theorem 4)/8 the condition 2β(ε₀ + ε)/α² is ≈ 8^{1/4} = 1.68: 'fails'
    (kills the verdict threshold 2 for 1)."""
    u = cst.kernels.triangular(64, 8)
    k = int(10 ** theorem3_quantities(u, 3, k=10**100).log10_width_theorem4 / 8)
    q = theorem3_quantities(u, 3, k=k)
    assert 1.6 < q.theorem4_condition < 1.75
    assert f"the ratio is {q.theorem4_condition:.4g} (fails)" in q.summary()


# ---------------------------------------------------------------------------
# mutation testing of bounds.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
def test_theorem2_bound_of_the_zero_signal_is_zero():
    """x = 0: every coefficient and ‖x‖ vanish, so both terms are 0, whatever ξ.

    kills mutant: x_theorem2_bound__mutmut_71 (1.0 returned for x = 0)."""
    u = cst.kernels.triangular(8, 2)
    assert theorem2_bound(u, np.zeros(8), 3) == 0.0
    assert theorem2_bound(u, np.zeros(8), 3, xi=0.5) == 0.0


def test_theorem3_summary_shortfall_at_width_one():
    """k = 1 (log10 k = 0): the shortfall of eq. (21) is the whole width, 10^81.58 for triangular(64, 8), m = 4,
    printed as 1e82.  kills mutant: xǁTheorem3Quantitiesǁsummary__mutmut_32 (max(k, 2): 1e81)."""
    q = theorem3_quantities(cst.kernels.triangular(64, 8), 4, k=1)
    assert 81.5 < q.log10_width_eq21 < 81.7 and not q.width_ok
    assert q.summary().split("\n")[6].endswith("this setup uses 1, short by a factor 1e82")


def test_theorem3_quantities_on_a_non_default_device():
    """A kernel on array_api_strict's device1 (which cannot be read through NumPy): the scale max|u| is taken
    in the kernel's own namespace, and every quantity equals that of the host kernel.
    kills mutant: x_theorem3_quantities__mutmut_71 (the namespace of None, i.e. NumPy)."""
    import array_api_strict as xs
    u = cst.to_numpy(cst.kernels.triangular(16, 3))
    assert theorem3_quantities(xs.asarray(u, device=xs.Device("device1")), 2) == theorem3_quantities(u, 2)
