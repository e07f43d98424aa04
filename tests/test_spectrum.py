"""Tests for Σ(U) (exact and Monte-Carlo) and the Fourier closed form σ of eq. (11)."""
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstheory as cst
from cstheory.spectrum import g, geometric_fit, sigma_mc_errors, sigma_weights_eq11
from cstheory.testing import assert_allclose, kernels as kernel_strategy, on_backend, seeds, sizes


def _eig(S):
    return np.sort(np.linalg.eigvalsh(cst.to_numpy(S)))


def _acos_conditioning(u):
    """eps/θ_min, θ_min the smallest angle between two non-parallel rows of circulant(u) (Kahan's formula).

    The dense Σ(U) takes θ = acos(ρ), whose rounding error is eps/sin θ: nearly parallel rows (u = [0.99999, 1]
    has θ = 1e-5, found by the random profile) make the dense route, not the FFT one, lose digits."""
    n = len(u)
    U = np.array([[u[(i - j) % n] for j in range(n)] for i in range(n)])
    norms = np.linalg.norm(U, axis=1)
    A = U / norms[:, None]
    theta = [2 * math.atan2(np.linalg.norm(A[i] - A[j]), np.linalg.norm(A[i] + A[j]))
             for i in range(n) for j in range(i + 1, n)]
    theta = [t for t in theta if 1e-7 < t < math.pi - 1e-7]     # parallel rows are snapped exactly
    return np.finfo(float).eps / min(theta) if theta else 0.0


@given(data=st.data(), n=sizes(1, 40))
def test_sigma_squared_are_the_eigenvalues_of_sigma_matrix(xp, data, n):
    """σ² (closed form, O(n log n)) = eigenvalues of Σ(circulant(u)), for arbitrary kernels (to 1e-12
    relative, plus the conditioning of acos in the dense route for nearly parallel rows)."""
    u = data.draw(kernel_strategy(n))
    ub = on_backend(u, xp)
    s = cst.to_numpy(cst.sigma_weights(ub))
    ev = _eig(cst.sigma_matrix(cst.circulant_matrix(ub)))
    tol = 1e-12 + 10 * _acos_conditioning(u)
    np.testing.assert_allclose(np.sort(s**2), ev, rtol=0, atol=tol * max(ev.max(), 1e-300))


@given(data=st.data(), n=sizes(1, 40))
def test_trig_basis_diagonalises_sigma_in_index_order(xp, data, n):
    """Wᵀ Σ(U) W = diag(σ²) with σ_i paired with column i of trig_basis (eq. 10)."""
    u = data.draw(kernel_strategy(n))
    ub = on_backend(u, xp)
    W = cst.trig_basis(n, xp=xp)
    D = cst.to_numpy(W.T @ cst.sigma_matrix(cst.circulant_matrix(ub)) @ W)
    s2 = cst.to_numpy(cst.sigma_weights(ub)) ** 2
    scale = max(np.abs(D).max(), 1e-300)
    tol = 1e-12 + 10 * _acos_conditioning(u)      # see _acos_conditioning; measured 1.8e-12 at θ = 1e-5
    np.testing.assert_allclose(D, np.diag(s2), rtol=0, atol=tol * scale)


def test_printed_eq11_differs_for_asymmetric_kernels():
    """Eq. (11) as printed uses u ⊛ u; the spectrum of Σ(U) needs the autocorrelation u ⋆ u.

    Measured for u = [3, 2, 1, 0, …, 0] (n = 8, asymmetric): the printed formula is off by
    0.17 (relative, max over σ²) while sigma_weights matches the eigenvalues to 1e-15.
    For a symmetric triangle both agree to rounding."""
    u = np.zeros(8)
    u[:3] = [3.0, 2.0, 1.0]
    ev = _eig(cst.sigma_matrix(cst.circulant_matrix(u)))
    ours = np.sort(cst.sigma_weights(u) ** 2)
    printed = np.sort(sigma_weights_eq11(u) ** 2)
    assert np.abs(ours - ev).max() < 1e-14 * ev.max()
    assert np.abs(printed - ev).max() > 0.1 * ev.max()
    tri = cst.kernels.triangular(16, 4)
    np.testing.assert_allclose(sigma_weights_eq11(tri), cst.sigma_weights(tri), rtol=1e-12)


@given(data=st.data(), n=sizes(2, 10), d=sizes(1, 10))
def test_sigma_matrix_entries_and_psd_for_any_U(xp, data, n, d):
    """Σ_ij = ⟨u_i,u_j⟩ ½(1 − θ_ij/π) for a general (non-circulant) U; symmetric PSD.

    θ_ij by Kahan's stable formula 2·atan2(‖a − b‖, ‖a + b‖) for the unit rows a, b (acos of the
    cosine, the library's route, loses √eps near θ = 0: the reference must not).  Measured error over
    2000 random draws of this kind: ≤ 2.1e-13 ‖u_i‖‖u_j‖ (acos as reference: 3.4e-9); asserted 1e-12."""
    U = np.random.default_rng(data.draw(seeds())).standard_normal((n, d))
    S = cst.to_numpy(cst.sigma_matrix(on_backend(U, xp)))
    for i in range(n):
        for j in range(n):
            a, b = U[i] / np.linalg.norm(U[i]), U[j] / np.linalg.norm(U[j])
            theta = 2.0 * math.atan2(np.linalg.norm(a - b), np.linalg.norm(a + b))
            scale = np.linalg.norm(U[i]) * np.linalg.norm(U[j])
            assert S[i, j] == pytest.approx(U[i] @ U[j] * 0.5 * (1 - theta / math.pi), abs=1e-12 * scale)
    np.testing.assert_array_equal(S, S.T)
    assert np.linalg.eigvalsh(S).min() >= -1e-12 * np.abs(S).max()


def test_sigma_matrix_is_exact_for_parallel_and_repeated_rows(xp):
    """ρ = ±1 and repeated rows: exact values (θ = 0 → ½‖u‖², θ = π → 0), no NaN."""
    U = np.array([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [-0.1, -0.2, -0.3], [0.3, 0.6, 0.9], [0.0, 0.0, 0.0]])
    S = cst.to_numpy(cst.sigma_matrix(on_backend(U, xp)))
    assert np.all(np.isfinite(S))
    G = U @ U.T
    assert S[0, 1] == 0.5 * G[0, 1]
    assert S[0, 2] == 0.0 and S[1, 2] == 0.0
    assert S[0, 3] == 0.5 * G[0, 3]
    np.testing.assert_array_equal(S[4], 0.0)
    np.testing.assert_allclose(np.diag(S), 0.5 * np.diag(G), rtol=1e-15)


@given(seed=seeds())
def test_sigma_matrix_is_the_mean_of_gram(seed):
    """Σ(U) = E[J_G J_Gᵀ]: the average of TwoLayerGenerator.gram over random C, any scale ω.

    With 400 draws of k = 50 channels (2·10⁴ columns) the relative Frobenius error is
    about 1/√(2·10⁴) ≈ 0.007: measured over seeds 0–39 median 0.0079, max 0.0153; we allow 0.03."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(6)
    gen = cst.TwoLayerGenerator(u, 50)
    exact = cst.to_numpy(cst.sigma_matrix(cst.circulant_matrix(u)))
    omega = float(rng.uniform(1e-3, 1e3))
    mean = sum(cst.to_numpy(gen.gram(gen.init(rng=rng, scale=omega))) for _ in range(400)) / 400
    assert np.linalg.norm(mean - exact) <= 0.03 * np.linalg.norm(exact)


def test_monte_carlo_error_shrinks_like_inverse_sqrt(xp):
    """sigma_matrix_mc → sigma_matrix with relative Frobenius error ≈ c/√(S·k).

    Measured constant c = error·√(S·k) for random 16×16 circulant U (three kernels):
    0.88–1.37 over S·k from 10³ to 10⁵ (median ≈ 1.15).  Asserted: c < 3 at every S, and the error at
    S·k = 10⁵ is at least 4× smaller than at 10³ (√100 = 10 in expectation)."""
    u = on_backend(np.random.default_rng(0).standard_normal(16), xp)
    U = cst.circulant_matrix(u)
    counts = np.array([10, 100, 1000])
    errs = sigma_mc_errors(U, counts, channels=100, rng=1)
    c = errs * np.sqrt(counts * 100)
    assert np.all(c < 3.0), c
    assert errs[-1] * 4 < errs[0]


def test_monte_carlo_does_not_depend_on_U_scale_and_is_reproducible(xp):
    u = on_backend(np.random.default_rng(2).standard_normal(8), xp)
    U = cst.circulant_matrix(u)
    a = cst.to_numpy(cst.sigma_matrix_mc(U, 20, 10, rng=5))
    b = cst.to_numpy(cst.sigma_matrix_mc(3.0 * U, 20, 10, rng=5))
    np.testing.assert_allclose(b, 9.0 * a, rtol=1e-12)
    np.testing.assert_allclose(cst.to_numpy(cst.sigma_matrix_mc(U, 20, 10, rng=5)), a, rtol=0)
    # chunked draws give the same estimate as one batch
    np.testing.assert_allclose(cst.to_numpy(cst.sigma_matrix_mc(U, 20, 10, rng=5, max_chunk=8 * 7)), a, rtol=1e-12)


@pytest.mark.parametrize("p", [1, 10, 30])
def test_fig3_triangles_min_max_sigma(p):
    """Fig. 3 fixtures: unit-norm triangles, n = 300.  Recorded min/max of σ² (closed form),
    checked against the dense eigendecomposition of Σ(U):

    ====  ==============  ============
    p     min σ²          max σ²
    ====  ==============  ============
    1     0.5             0.5
    10    0.014611        5.872354
    30    0.0046761       17.688657
    ====  ==============  ============
    """
    recorded = {1: (0.5, 0.5), 10: (0.01461060625649324, 5.872354092644189),
                30: (0.00467610201406998, 17.688657190682832)}
    u = cst.kernels.triangular(300, p)
    s2 = cst.sigma_weights(u) ** 2
    ev = _eig(cst.sigma_matrix(cst.circulant_matrix(u)))
    assert s2.min() == pytest.approx(ev.min(), rel=1e-9)
    assert s2.max() == pytest.approx(ev.max(), rel=1e-12)
    assert (s2.min(), s2.max()) == pytest.approx(recorded[p], rel=1e-9)


def test_wider_triangles_decay_faster_and_fit_geometric_rate():
    """The weights of a wider kernel concentrate on low frequencies; γ < 1 is fitted."""
    n = 300
    g10 = cst.geometric_rate(cst.sigma_weights(cst.kernels.triangular(n, 10)), stop=100)
    g30 = cst.geometric_rate(cst.sigma_weights(cst.kernels.triangular(n, 30)), stop=100)
    assert 0 < g30 < g10 < 1
    assert cst.geometric_rate(cst.sigma_weights(cst.kernels.triangular(n, 1))) == pytest.approx(1.0)
    # an exactly geometric spectrum is recovered
    s = np.sqrt(0.9 ** np.arange(50))
    gamma, c, idx = geometric_fit(s, start=0)
    assert gamma == pytest.approx(0.9, rel=1e-12) and c == pytest.approx(0.0, abs=1e-10)


def test_g_of_eq11(xp):
    z = on_backend(np.array([-1.0, 0.0, 0.5, 1.0]), xp)
    np.testing.assert_allclose(cst.to_numpy(g(z)), [0.0, 0.0, 0.5 * (1 - 1 / 3) * 0.5, 0.5])


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: cst.sigma_weights(np.zeros(4)), ValueError, "all zero"),
        (lambda: cst.sigma_weights(np.ones((2, 2))), ValueError, "1-D"),
        (lambda: cst.sigma_matrix(np.ones(3)), ValueError, "2-D"),
        (lambda: cst.sigma_matrix_mc(np.ones((2, 2)), 0), ValueError, "samples"),
        (lambda: cst.sigma_matrix_mc(np.ones((2, 2)), 2, channels=0), ValueError, "channels"),
        (lambda: cst.geometric_rate(np.zeros(5)), ValueError, "floor"),
        (lambda: cst.geometric_rate(np.array([1.0, np.nan])), ValueError, "non-finite"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------------------
# scale safety and extreme inputs (issue 14): σ(c·u) = |c|·σ(u), Σ(diag(d) U) = diag(|d|) Σ(U) diag(|d|)
# ---------------------------------------------------------------------------
SCALES = [1e-300, 1e-200, 1e-100, 1e100, 1e200, 1e300]


@pytest.mark.parametrize("c", SCALES + [-1e-300, -1e300])
def test_sigma_weights_are_homogeneous_at_every_finite_scale(xp, c):
    """σ(c u) = |c| σ(u): finite and equal to the scaled weights for kernels scaled by 1e±300."""
    u = np.asarray(cst.kernels.triangular(16, 4)) + 0.1 * np.random.default_rng(0).standard_normal(16)
    ref = cst.to_numpy(cst.sigma_weights(on_backend(u, xp)))
    got = cst.to_numpy(cst.sigma_weights(on_backend(c * u, xp)))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, abs(c) * ref, rtol=1e-12, atol=abs(c) * 1e-15 * ref.max())
    got11 = cst.to_numpy(sigma_weights_eq11(on_backend(c * u, xp)))
    np.testing.assert_allclose(got11, abs(c) * cst.to_numpy(sigma_weights_eq11(on_backend(u, xp))), rtol=1e-12,
                               atol=abs(c) * 1e-15 * ref.max())


@given(u=kernel_strategy(9), e=st.integers(-300, 300))
def test_sigma_weights_scaling_property(u, e):
    c = 10.0 ** e
    ref = cst.to_numpy(cst.sigma_weights(u))
    got = cst.to_numpy(cst.sigma_weights(c * u))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, c * ref, rtol=1e-12, atol=c * 1e-14 * ref.max())


@pytest.mark.parametrize("c", [1e-150, 1e150])
def test_sigma_matrix_is_homogeneous_of_degree_two(xp, c):
    U = np.random.default_rng(1).standard_normal((5, 3))
    ref = cst.to_numpy(cst.sigma_matrix(on_backend(U, xp)))
    got = cst.to_numpy(cst.sigma_matrix(on_backend(c * U, xp)))
    np.testing.assert_allclose(got, c * c * ref, rtol=1e-13, atol=c * c * 1e-15 * np.abs(ref).max())


def test_sigma_matrix_never_nan_for_extreme_rows(xp):
    """Rows scaled by 1e±300 (and zero rows): Σ = diag(d) Σ(U) diag(d), d ≥ 0, where representable,
    ±inf only where the true value overflows, 0 where it underflows — never NaN."""
    U = np.random.default_rng(2).standard_normal((6, 4))
    d = np.array([1e-300, 1e153, 1.0, 0.0, 1e150, 1e-200])
    S = cst.to_numpy(cst.sigma_matrix(on_backend(d[:, None] * U, xp)))
    ref = cst.to_numpy(cst.sigma_matrix(on_backend(U, xp)))
    assert not np.any(np.isnan(S))
    with np.errstate(over="ignore", under="ignore"):
        want = d[:, None] * ref * d[None, :]
    finite = np.isfinite(want) & (np.abs(want) > 1e-290)
    np.testing.assert_allclose(S[finite], want[finite], rtol=1e-12)
    np.testing.assert_array_equal(S[3], 0.0)
    np.testing.assert_array_equal(S[:, 3], 0.0)
    assert S[0, 1] == pytest.approx(ref[0, 1] * 1e-147, rel=1e-12)    # 1e-300 · 1e153: representable
    assert S[1, 4] == pytest.approx(ref[1, 4] * 1e303, rel=1e-12)     # near the top of the range


@pytest.mark.parametrize("scale", [1e200, 1e160])
def test_sigma_matrix_refuses_rows_beyond_the_range(xp, scale):
    """Σ_ii = ½‖u_i‖² beyond the largest float: a ValueError naming U, not a matrix of inf."""
    U = on_backend(scale * np.eye(3), xp)
    with pytest.raises(ValueError, match=r"U's rows are too large"):
        cst.sigma_matrix(U)
    assert np.isfinite(cst.to_numpy(cst.sigma_matrix(on_backend(1e150 * np.eye(3), xp)))).all()


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_sizes_give_finite_spectra(xp, n):
    u = on_backend(np.arange(1.0, n + 1.0), xp)
    sigma = cst.to_numpy(cst.sigma_weights(u))
    S = cst.to_numpy(cst.sigma_matrix(cst.circulant_matrix(u)))
    assert np.all(np.isfinite(sigma)) and np.all(np.isfinite(S))
    np.testing.assert_allclose(np.sort(sigma**2), np.sort(np.linalg.eigvalsh(S)), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_monte_carlo_sigma_is_homogeneous(xp, c):
    """The masks 1(U C > 0) do not change when U is scaled: Σ̂(cU) = c² Σ̂(U) draw for draw."""
    U = np.random.default_rng(3).standard_normal((4, 3))
    ref = cst.to_numpy(cst.sigma_matrix_mc(on_backend(U, xp), 50, rng=1))
    got = cst.to_numpy(cst.sigma_matrix_mc(on_backend(np.sqrt(c) * U, xp), 50, rng=1))
    np.testing.assert_allclose(got, c * ref, rtol=1e-13)


def test_g_refuses_values_outside_the_cosines():
    np.testing.assert_allclose(g(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 0.5])
    with pytest.raises(ValueError, match=r"z must have entries in \[-1, 1\]"):
        g(np.array([0.5, 1.0 + 1e-12]))


def test_monte_carlo_refuses_absurd_sample_counts_before_drawing():
    U = np.eye(3)
    with pytest.raises(ValueError, match="samples \\* channels .* use sigma_matrix"):
        cst.sigma_matrix_mc(U, 10**30)
    for bad, exc in ((-4, ValueError), (2.5, TypeError), (0, ValueError)):
        with pytest.raises(exc, match="max_chunk"):
            cst.sigma_matrix_mc(U, 4, max_chunk=bad)


def test_geometric_fit_refuses_wrapping_indices_and_is_scale_invariant():
    sigma = 0.7 ** np.arange(20)
    gamma, c, idx = geometric_fit(sigma)
    assert gamma == pytest.approx(0.49) and idx[0] == 1
    for kwargs, exc, name in (({"start": -3}, ValueError, "start"), ({"floor": -1.0}, ValueError, "floor"),
                              ({"stop": 1}, ValueError, "stop"), ({"start": 1.5}, TypeError, "start")):
        with pytest.raises(exc, match=name):
            geometric_fit(sigma, **kwargs)
    with pytest.raises(ValueError, match="sigma must be non-negative"):
        geometric_fit(-sigma)
    for scale in (1e-300, 1e300):
        g2, c2, idx2 = geometric_fit(scale * sigma)
        assert g2 == pytest.approx(gamma, rel=1e-12) and np.array_equal(idx2, idx)
        assert c2 == pytest.approx(c + 2 * math.log(scale), rel=1e-12)
# Monte-Carlo Σ(U) for non-circulant, non-normal U
# ---------------------------------------------------------------------------
def _non_circulant(seed):
    """A random rectangular 6×4 U, and a 5×3 U with a repeated row, an opposite (scaled) row and a
    row mixing two others: neither circulant nor normal (U Uᵀ ≠ Uᵀ U is not even square-compatible)."""
    rng = np.random.default_rng(seed)
    r, w = rng.standard_normal(3), rng.standard_normal(3)
    return rng.standard_normal((6, 4)), np.stack([r, r, -2.0 * r, w, 0.5 * w + r])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monte_carlo_sigma_for_non_circulant_and_non_normal_U(xp, seed):
    """sigma_matrix_mc → sigma_matrix for U that is not a convolution, with repeated/opposite rows.

    The relative Frobenius error of S draws of k channels is c/√(S k).  Measured c over 40 such U
    (seeds 0–19, both kinds, S = 400, k = 50): median 0.94, max 1.98.  Asserted: c < 3 at S k = 2·10⁴,
    i.e. error < 0.021."""
    for U in _non_circulant(seed):
        Ub = on_backend(U, xp)
        est = cst.to_numpy(cst.sigma_matrix_mc(Ub, 400, 50, rng=seed))
        exact = cst.to_numpy(cst.sigma_matrix(Ub))
        c = np.linalg.norm(est - exact) / np.linalg.norm(exact) * math.sqrt(400 * 50)
        assert c < 3.0, c


def test_monte_carlo_sigma_is_the_written_out_average_of_its_draws(xp):
    """Σ̂ = (U Uᵀ) ∘ (M Mᵀ)/(S k), M = 1(U C > 0) for the S·k columns C drawn (one column of length d
    per standard_normal row) from the documented generator; defaults channels = 1 and rng = 0; float32 kept.

    kills mutants: a draw too many or too few (done = 1, <=), defaults channels = 2 / rng = 1, the
    accumulator shape or dtype, the generator replaced by a fresh one."""
    U, _ = _non_circulant(4)
    S, k = 7, 3
    draws = np.random.default_rng(9).standard_normal((S * k, 4)).T
    M = (U @ draws > 0).astype(float)
    want = (U @ U.T) * (M @ M.T) / (S * k)
    assert_allclose(cst.sigma_matrix_mc(on_backend(U, xp), S, k, rng=9), want, rtol=1e-14)
    assert_allclose(cst.sigma_matrix_mc(on_backend(U, xp), S, k, rng=np.random.default_rng(9)), want, rtol=1e-14)
    M1 = (U @ np.random.default_rng(0).standard_normal((S, 4)).T > 0).astype(float)
    assert_allclose(cst.sigma_matrix_mc(on_backend(U, xp), S), (U @ U.T) * (M1 @ M1.T) / S, rtol=1e-14)
    # wide U (d > n): the accumulator is n × n
    W = np.random.default_rng(1).standard_normal((3, 5))
    Mw = (W @ np.random.default_rng(2).standard_normal((4, 5)).T > 0).astype(float)
    assert_allclose(cst.sigma_matrix_mc(on_backend(W, xp), 4, rng=2), (W @ W.T) * (Mw @ Mw.T) / 4, rtol=1e-14)
    est32 = cst.sigma_matrix_mc(on_backend(U, xp, "float32"), S, k, rng=9)
    assert est32.dtype == xp.float32
    assert_allclose(est32, want, rtol=1e-6)


def test_monte_carlo_errors_use_one_generator_stream(xp):
    """sigma_mc_errors(U, counts, channels, rng) draws the estimates one after the other from ONE
    generator: written out here with sigma_matrix_mc and a shared numpy Generator; defaults channels = 1,
    rng = 0.  kills mutants: a fresh generator per S, default channels/rng changed."""
    U, _ = _non_circulant(5)
    Ub = on_backend(U, xp)
    exact = cst.to_numpy(cst.sigma_matrix(Ub))

    def written_out(counts, channels, seed):
        gen = np.random.default_rng(seed)
        out = []
        for S in counts:
            M = (U @ gen.standard_normal((S * channels, 4)).T > 0).astype(float)
            out.append(np.linalg.norm((U @ U.T) * (M @ M.T) / (S * channels) - exact) / np.linalg.norm(exact))
        return out

    np.testing.assert_allclose(sigma_mc_errors(Ub, [3, 5], channels=2, rng=7), written_out([3, 5], 2, 7), rtol=1e-10)
    np.testing.assert_allclose(sigma_mc_errors(Ub, [3, 5]), written_out([3, 5], 1, 0), rtol=1e-10)


# ---------------------------------------------------------------------------
# exact values at ρ = ±1 under rounding, the printed eq. (11), device and messages
# ---------------------------------------------------------------------------
def test_sigma_matrix_snaps_rounded_parallel_and_opposite_rows(xp):
    """Rows r, c r and −c' r with random r (d = 10) and scales: ⟨u_i, u_j⟩/(‖u_i‖‖u_j‖) comes out as ±1
    plus a few eps, where acos would give θ off by √eps; Σ must still be exactly ½⟨u_i,u_j⟩ (θ = 0)
    and exactly 0 (θ = π).  kills mutants: no snapping of ρ near −1 (−1 − 16 eps, −2 + 16 eps)."""
    rng = np.random.default_rng(0)
    rounded = 0
    for _ in range(20):
        r = rng.standard_normal(10) * np.exp(3 * rng.standard_normal(10))
        c, c2 = rng.uniform(0.1, 10, 2)
        U = np.stack([r, c * r, -c2 * r])
        G = U @ U.T
        norms = np.sqrt(np.diag(G))
        rho = G / np.outer(norms, norms)
        rounded += int(rho[0, 2] != -1.0) + int(rho[1, 2] != -1.0)
        S = cst.to_numpy(cst.sigma_matrix(on_backend(U, xp)))
        assert S[0, 2] == 0.0 and S[1, 2] == 0.0 and S[2, 0] == 0.0
        np.testing.assert_allclose(S[0, 1], 0.5 * G[0, 1], rtol=1e-15)
    assert rounded > 5   # the snapping was needed (measured: 20 of the 40 opposite pairs)


@pytest.mark.parametrize("n", [9, 10])
def test_printed_eq11_for_a_symmetric_kernel_of_any_norm(xp, n):
    """For a symmetric kernel the printed eq. (11) (with u ⊛ u) equals σ, for ‖u‖ ≠ 1 and odd n, and
    σ = ‖u‖ √|F g(ρ)| with the eigenvalues of the dense Σ(U).  kills: conv·‖u‖² for conv/‖u‖², irfft length."""
    u = 3.0 * cst.to_numpy(cst.kernels.triangular(n, 3))
    ev = np.sort(np.linalg.eigvalsh(cst.to_numpy(cst.sigma_matrix(cst.circulant_matrix(u)))))
    s11 = cst.to_numpy(sigma_weights_eq11(on_backend(u, xp)))
    np.testing.assert_allclose(np.sort(s11**2), ev, rtol=1e-12, atol=1e-12 * ev.max())
    assert_allclose(sigma_weights_eq11(on_backend(u, xp)), cst.sigma_weights(on_backend(u, xp)), rtol=1e-12)


def test_spectrum_functions_keep_the_device():
    """On a non-default array_api_strict device (host index arrays must follow the kernel's device;
    no NumPy function may touch the arrays).  kills mutants: device=None and namespace(None)."""
    import array_api_strict as xs
    dev, cpu = xs.Device("device1"), xs.Device("CPU_DEVICE")
    u_h = cst.to_numpy(cst.kernels.triangular(9, 3))
    u = xs.asarray(u_h, device=dev)
    U = cst.circulant_matrix(u)

    def host(a):
        assert a.device == dev
        return cst.to_numpy(xs.asarray(a, device=cpu))

    np.testing.assert_allclose(host(cst.sigma_weights(u)), cst.sigma_weights(u_h), rtol=1e-13)
    np.testing.assert_allclose(host(sigma_weights_eq11(u)), sigma_weights_eq11(u_h), rtol=1e-13)
    np.testing.assert_allclose(host(cst.sigma_matrix(U)), cst.sigma_matrix(cst.circulant_matrix(u_h)), rtol=1e-13)
    np.testing.assert_allclose(host(cst.sigma_matrix_mc(U, 5, 2, rng=1)),
                               cst.sigma_matrix_mc(cst.circulant_matrix(u_h), 5, 2, rng=1), rtol=1e-13)
    np.testing.assert_allclose(sigma_mc_errors(U, [3], rng=1), sigma_mc_errors(cst.circulant_matrix(u_h), [3], rng=1),
                               rtol=1e-12)


def test_geometric_fit_uses_the_documented_indices():
    """The fit is np.polyfit(i, log σ_i², 1) over the sorted indices start ≤ i < stop with
    σ_i² > floor·σ_max², written out here; index 0 is skipped by default; two points are enough.

    kills mutants: default start 2, arange without start, floor relative to σ₁ instead of σ_max,
    a third point required."""
    s2 = np.array([50.0, 1.0, 0.5, 0.3, 0.1, 0.04, 1e-9, 1e-12])
    sigma = np.sqrt(s2)[[3, 0, 5, 1, 7, 2, 6, 4]]          # any order: sorted inside

    def written_out(start, stop, floor):
        idx = np.array([i for i in range(start, stop) if s2[i] > floor * s2[0]])
        slope, c = np.polyfit(idx, np.log(s2[idx]), 1)
        return math.exp(slope), c, idx

    for start, stop, floor in [(1, None, 1e-10), (0, 5, 1e-10), (2, None, 1e-3), (1, 3, 1e-10)]:
        want = written_out(start, len(s2) if stop is None else stop, floor)
        gamma, c, idx = geometric_fit(sigma, start=start, stop=stop, floor=floor)
        assert gamma == pytest.approx(want[0], rel=1e-12) and c == pytest.approx(want[1], rel=1e-12)
        np.testing.assert_array_equal(idx, want[2])
        assert cst.geometric_rate(sigma, start=start, stop=stop, floor=floor) == pytest.approx(want[0], rel=1e-12)
    assert geometric_fit(sigma)[2].tolist() == [1, 2, 3, 4, 5]   # 1e-9 < 1e-10 · 50
    assert cst.geometric_rate(sigma) == pytest.approx(written_out(1, 8, 1e-10)[0], rel=1e-12)


@pytest.mark.parametrize("call, exc, message", [
    (lambda: cst.sigma_matrix(np.ones(3)), ValueError, "U must be 2-D, got shape (3,)"),
    (lambda: cst.sigma_matrix_mc(np.ones(3), 2), ValueError, "U must be 2-D, got shape (3,)"),
    (lambda: cst.sigma_matrix_mc(np.ones((2, 2)), 0), ValueError, "samples must be an integer >= 1, got 0"),
    (lambda: cst.sigma_matrix_mc(np.ones((2, 2)), 2, channels=0), ValueError, "channels must be an integer >= 1, got 0"),
    (lambda: geometric_fit(np.ones((2, 2))), ValueError, "sigma must be 1-D, got shape (2, 2)"),
    (lambda: geometric_fit(np.ones(1)), ValueError, "sigma must have at least 2 entries, got shape (1,)"),
    (lambda: geometric_fit(np.array([1.0, np.inf])), ValueError, "sigma contains non-finite values (NaN or inf)"),
    (lambda: geometric_fit(np.array([1.0, 1e-6, 1e-7])), ValueError,
     "fewer than 2 entries of sigma above floor=1e-10 (relative to the largest) in [start, stop) = [1, 3): nothing to fit"),
])
def test_bad_input_messages(call, exc, message):
    """The whole message, anchored (kills renamed arguments and altered messages)."""
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call()


# ---------------------------------------------------------------------------
# mutation testing of spectrum.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
def test_g_accepts_empty_arrays_and_names_z():
    """g is entrywise: empty arrays give empty results; a bad z is refused with a message naming z.

    kills mutants: x_g__mutmut_2, 3, 6, 7, 8, 9."""
    assert g(np.zeros(0)).shape == (0,) and g(np.zeros((0, 3))).shape == (0, 3)
    with pytest.raises(ValueError, match=r"^z contains non-finite values \(NaN or inf\)$"):
        g(np.array([0.5, np.nan]))
    with pytest.raises(TypeError, match=r"^z must be an array, got list; convert with numpy.asarray\(z\)$"):
        g([0.5])


def test_g_refuses_cosines_below_minus_one_and_works_on_the_arrays_device():
    """z < −1 is refused like z > 1 (exact message); the range check runs in z's own namespace, so g
    works on a non-default array_api_strict device and keeps it.

    kills mutants: x_g__mutmut_11, 18, 22."""
    import array_api_strict as xs
    for bad in (-1.5, -1.0 - 1e-12, 1.0 + 1e-12):
        with pytest.raises(ValueError, match=r"^z must have entries in \[-1, 1\] \(g is defined on cosines\)$"):
            g(np.array([0.5, bad]))
    dev = xs.Device("device1")
    out = g(xs.asarray([-1.0, 0.5, 1.0], device=dev))
    assert out.device == dev
    np.testing.assert_allclose(cst.to_numpy(xs.asarray(out, device=xs.Device("CPU_DEVICE"))),
                               [0.0, 0.5 * (1 - 1 / 3) * 0.5, 0.5], rtol=1e-15)


def test_sigma_matrix_memory_estimate_is_four_n_by_n_for_n_rows(monkeypatch):
    """U of shape (2, 3): 4·8·n² = 128 bytes for its n = 2 rows (not its 3 columns) allowed, 127 refused.

    kills mutants: x_sigma_matrix__mutmut_13, 15, 18, 20."""
    U = np.ones((2, 3))
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "128")
    np.testing.assert_allclose(cst.sigma_matrix(U), np.full((2, 2), 1.5), rtol=1e-15)   # parallel rows: G/2
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "127")
    with pytest.raises(ValueError, match=r"^sigma_matrix\(U with 2 rows\): the \(2, 2\) matrix needs 128 bytes "
                                         r"\(128 bytes\), more than the limit of 127 bytes"):
        cst.sigma_matrix(U)


@pytest.mark.parametrize("dtype, itemsize", [("float64", 8), ("float32", 4)])
def test_sigma_matrix_mc_memory_estimate(monkeypatch, dtype, itemsize):
    """U (n, d) = (2, 3), S·k = 2 draws, max_chunk = 1 < d gives chunks of one column: the estimate,
    U U^T, one chunk of C and its mask in U's dtype, plus the float64 host draw, i.e.
    itemsize·(2n² + d + n) + 8·d bytes, allowed exactly, one byte less refused.

    kills mutants: x_sigma_matrix_mc__mutmut_47, 50 to 54, 56, 59, 65 to 69."""
    U = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]], dtype=dtype)
    need = itemsize * (2 * 4 + 3 + 2) + 8 * 3
    whole = cst.sigma_matrix_mc(U, 2, rng=0)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", str(need))
    est = cst.sigma_matrix_mc(U, 2, max_chunk=1, rng=0)
    assert est.dtype == U.dtype
    np.testing.assert_array_equal(est, whole)       # chunking does not change the numbers
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", str(need - 1))
    with pytest.raises(ValueError, match=rf"^sigma_matrix_mc\(U of shape \(2, 3\), max_chunk=1\): the estimate and "
                                         rf"one chunk needs {need} bytes \({need} bytes\), more than the limit"):
        cst.sigma_matrix_mc(U, 2, max_chunk=1, rng=0)


def test_sigma_matrix_mc_allows_exactly_max_mc_columns_draws(monkeypatch):
    """samples·channels = MAX_MC_COLUMNS passes the count check (and is then refused by the memory check
    here); one more is refused by the count check.  A bad max_chunk is named.

    kills mutants: x_sigma_matrix_mc__mutmut_33, 37."""
    U = np.ones((2, 3))
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "1000")
    with pytest.raises(ValueError, match=r"^sigma_matrix_mc\(U of shape \(2, 3\), max_chunk=4194304\): the estimate"):
        cst.sigma_matrix_mc(U, cst.spectrum.MAX_MC_COLUMNS)
    with pytest.raises(ValueError, match=r"^samples \* channels = 1099511627777 \* 1 draws of a column of C is more "
                                         r"than 1.1e\+12 "):
        cst.sigma_matrix_mc(U, cst.spectrum.MAX_MC_COLUMNS + 1)
    with pytest.raises(ValueError, match=r"^max_chunk must be an integer >= 1, got 0$"):
        cst.sigma_matrix_mc(U, 2, max_chunk=0)


@pytest.mark.parametrize("call, exc, message", [
    (lambda U: sigma_mc_errors(np.ones(3), []), ValueError, "U must be 2-D, got shape (3,)"),
    (lambda U: sigma_mc_errors(np.ones(3), "ab"), ValueError, "U must be 2-D, got shape (3,)"),
    (lambda U: sigma_mc_errors(U, "ab"), TypeError, "sample_counts must be an iterable of integers >= 1, got str"),
    (lambda U: sigma_mc_errors(U, 5), TypeError, "sample_counts must be an iterable of integers >= 1, got int"),
    (lambda U: sigma_mc_errors(U, [4, 0]), ValueError, "each entry of sample_counts must be an integer >= 1, got 0"),
    (lambda U: sigma_mc_errors(U, []), ValueError,
     "sample_counts must contain at least one sample count, got an empty iterable"),
    (lambda U: sigma_mc_errors(U, [1], channels=0), ValueError, "channels must be an integer >= 1, got 0"),
    (lambda U: sigma_mc_errors(U, [2**30], channels=2**11), ValueError,
     "sample_counts entry 1073741824 times channels = 2048 exceeds 1.1e+12 draws (see sigma_matrix_mc)"),
    (lambda U: sigma_mc_errors(0 * U, [1]), ValueError, "U must not be all zero: Sigma(U) = 0 has no relative error"),
])
def test_sigma_mc_errors_messages(call, exc, message):
    """The whole message, anchored; U is checked first (a 1-D U is named before any sample_counts problem).

    kills mutants: x_sigma_mc_errors__mutmut_4, 5, 8, 9, 10, 12, 20, 21, 24, 27, 28, 30, 31, 32, 35, 38, 39,
    42, 44, 45, 46, 55, 57, 58, 59, 60."""
    U = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]])
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call(U)


def test_sigma_mc_errors_counts_exactly_max_mc_columns_and_any_scale_of_u(monkeypatch):
    """S·channels = MAX_MC_COLUMNS is not refused by sigma_mc_errors' own check (sigma_matrix_mc's memory
    check stops it here); the relative errors do not depend on the scale of U, small ‖Σ‖ included.

    kills mutants: x_sigma_mc_errors__mutmut_43, 56."""
    U = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]])
    errs = sigma_mc_errors(U, [1, 4], rng=3)
    np.testing.assert_array_equal(sigma_mc_errors(2.0**-10 * U, [1, 4], rng=3), errs)
    assert errs.shape == (2,) and np.all(errs > 0)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "1000")
    with pytest.raises(ValueError, match=r"^sigma_matrix_mc\(U of shape \(2, 3\), max_chunk=4194304\): the estimate"):
        sigma_mc_errors(U, [cst.spectrum.MAX_MC_COLUMNS])


def test_geometric_fit_argument_messages_and_two_entries():
    """start, stop (≥ start + 2) and floor are named in their messages; two entries are enough to fit.

    kills mutants: x_geometric_fit__mutmut_19, 26, 29, 30, 32, 41, 47, 48, 54."""
    sigma = 0.7 ** np.arange(6)
    for kwargs, message in (({"start": -1}, "start must be an integer >= 0, got -1"),
                            ({"stop": 2}, "stop must be an integer >= 3, got 2"),
                            ({"start": 2, "stop": 3}, "stop must be an integer >= 4, got 3"),
                            ({"floor": -1.0}, "floor must be >= 0, got -1")):
        with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
            geometric_fit(sigma, **kwargs)
    assert geometric_fit(sigma, start=2, stop=4)[0] == pytest.approx(0.49, rel=1e-12)
    with pytest.raises(ValueError, match=r"^sigma must be non-negative \(the weights sigma_i >= 0 of eq. 11\)$"):
        geometric_fit(-sigma)
    gamma, c, idx = geometric_fit(np.array([1.0, 0.5]), start=0)
    assert gamma == pytest.approx(0.25, rel=1e-12) and c == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(idx, [0, 1])
