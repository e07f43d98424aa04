"""Tests for the two-layer generator ReLU(UC)v: forward, JVP/VJP, Jacobian (eq. 20), Gram, fitting."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import cstheory as cst
from cstheory.testing import (
    assert_adjoint, assert_allclose, even_sizes, inner, kernels as kernel_strategy, on_backend, seeds, sizes,
)
from cstheory.two_layer import DEFAULT_XI, theorem3_scale, theorem3_step_size


def _setup(xp, data, n_max=12, k_max=8):
    n = data.draw(sizes(2, n_max), label="n")
    k = data.draw(even_sizes(2, k_max), label="k")
    u = data.draw(kernel_strategy(n), label="u")
    seed = data.draw(seeds(), label="seed")
    rng = np.random.default_rng(seed)
    gen = cst.TwoLayerGenerator(on_backend(u, xp), k)
    C = on_backend(rng.standard_normal((n, k)), xp)
    return gen, u, C, rng


def _dense_forward(u, C):
    n, k = C.shape
    U = np.array([[u[(i - j) % n] for j in range(n)] for i in range(n)])
    v = np.r_[np.ones(k // 2), -np.ones(k // 2)] / math.sqrt(k)
    Z = U @ C
    return np.maximum(Z, 0) @ v, U, v, Z


def _vec(xp, T):
    """vec(T) = [t_1; …; t_k], column by column as in eq. (20)."""
    return xp.reshape(xp.permute_dims(T, (1, 0)), (-1,))


@given(data=st.data())
def test_forward_equals_dense_reference(xp, data):
    gen, u, C, _ = _setup(xp, data)
    x, *_ = _dense_forward(u, cst.to_numpy(C))
    assert_allclose(gen(C), x)
    assert_allclose(gen.forward(C), x)


@given(data=st.data())
def test_jacobian_matches_eq20_and_jvp_of_unit_tangents(xp, data):
    gen, u, C, _ = _setup(xp, data, n_max=8, k_max=6)
    Cn = cst.to_numpy(C)
    _, U, v, Z = _dense_forward(u, Cn)
    J = gen.jacobian(C)
    n, k = Cn.shape
    # eq. (20): J_G^T has blocks v_l U^T diag(ReLU'(U c_l)), i.e. J_G = [v_l diag(m_l) U]_l
    expected = np.concatenate([v[l] * (Z[:, l] > 0)[:, None] * U for l in range(k)], axis=1)
    assert_allclose(J, expected)
    for col in range(n * k):
        l, j = divmod(col, n)
        E = np.zeros((n, k))
        E[j, l] = 1.0
        assert_allclose(gen.jvp(C, on_backend(E, xp)), expected[:, col])


@given(data=st.data())
def test_vjp_is_adjoint_of_jvp(xp, data):
    gen, _, C, rng = _setup(xp, data, n_max=24, k_max=16)
    T = on_backend(rng.standard_normal(gen.param_shape), xp)
    r = on_backend(rng.standard_normal(gen.n), xp)
    assert_adjoint(lambda t: gen.jvp(C, t), lambda s: gen.vjp(C, s), T, r)


@given(data=st.data())
def test_vjp_equals_explicit_jacobian_transpose(xp, data):
    gen, _, C, rng = _setup(xp, data, n_max=10, k_max=6)
    r = on_backend(rng.standard_normal(gen.n), xp)
    assert_allclose(_vec(xp, gen.vjp(C, r)), gen.jacobian(C).T @ r)
    x, vjp_fn = gen.forward_vjp(C)
    assert_allclose(x, gen(C))
    assert_allclose(vjp_fn(r), gen.vjp(C, r))


@given(data=st.data())
def test_loss_gradient_matches_finite_differences(xp, data):
    """⟨∇L(C), T⟩ equals the central difference of L = ½‖A G(C) − y‖²; G is piecewise linear,
    so the difference is exact (up to rounding) when no ReLU kink lies within h of C."""
    gen, u, C, rng = _setup(xp, data, n_max=16, k_max=8)
    m = data.draw(st.integers(1, gen.n), label="m")
    A = on_backend(rng.standard_normal((m, gen.n)) / math.sqrt(m), xp)
    y = on_backend(rng.standard_normal(m), xp)
    T = on_backend(rng.standard_normal(gen.param_shape), xp)
    h = 1e-6
    Z = np.abs(cst.to_numpy(cst.circular_convolve(gen.u, C, axis=0)))
    UT = np.abs(cst.to_numpy(cst.circular_convolve(gen.u, T, axis=0)))
    assume(np.all(Z > 10 * h * (UT + 1)))

    def loss(P):
        r = A @ gen(P) - y
        return 0.5 * inner(r, r)

    grad = gen.vjp(C, A.T @ (A @ gen(C) - y))
    fd = (loss(C + h * T) - loss(C - h * T)) / (2 * h)
    assert fd == pytest.approx(inner(grad, T), rel=1e-6, abs=1e-7)


@given(data=st.data())
def test_gram_equals_J_Jt(xp, data):
    gen, _, C, _ = _setup(xp, data, n_max=10, k_max=6)
    J = gen.jacobian(C)
    assert_allclose(gen.gram(C), J @ J.T)


def test_gram_does_not_form_the_jacobian(xp):
    """gram works where the explicit Jacobian is refused by the memory limit."""
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(64, 4, xp=xp), 64)
    C = gen.init(rng=0, scale=1.0)
    with pytest.raises(ValueError, match="max_bytes"):
        gen.jacobian(C, max_bytes=1000)
    G = cst.to_numpy(gen.gram(C))
    assert G.shape == (64, 64)
    np.testing.assert_allclose(G, G.T)


def test_smoothness_bound_is_lemma2(xp):
    """‖J_G(C)‖ ≤ ‖U‖ for any C (Lemma 2), and smoothness_bound() = ‖U‖²."""
    rng = np.random.default_rng(3)
    u = on_backend(rng.standard_normal(12), xp)
    gen = cst.TwoLayerGenerator(u, 6)
    U = cst.to_numpy(cst.circulant_matrix(u))
    assert gen.smoothness_bound() == pytest.approx(np.linalg.norm(U, 2) ** 2)
    for seed in range(5):
        J = cst.to_numpy(gen.jacobian(gen.init(rng=seed, scale=1.0)))
        assert np.linalg.norm(J, 2) <= np.linalg.norm(U, 2) * (1 + 1e-12)


def test_init_theorem3_scale(xp):
    n, k = 64, 400
    u = cst.kernels.triangular(n, 8, xp=xp)
    gen = cst.TwoLayerGenerator(u, k)
    y = on_backend(np.full(10, 0.5), xp)
    C = gen.init(rng=0, y=y)
    omega = theorem3_scale(np.linalg.norm(np.full(10, 0.5)), n, gen.U_norm, DEFAULT_XI)
    assert np.std(cst.to_numpy(C)) == pytest.approx(omega, rel=0.02)
    # the start is small: ‖G(C0)‖ ≤ 0.29 ξ ‖y‖ (up to fluctuations)
    assert float(np.linalg.norm(cst.to_numpy(gen(C)))) < 0.4 * DEFAULT_XI * np.linalg.norm(cst.to_numpy(y))
    assert theorem3_step_size(10, n, 2.0) == pytest.approx(10 / (4 * n * 4.0))


def test_fit_recovers_smooth_signal_from_5p_measurements():
    """GD from the Theorem-3 start recovers a p-smooth signal from m = 5p Gaussian measurements
    with a wide triangular kernel, with no early stopping.

    Measured (n = 128, p = 6, m = 30, k = 128, p_kernel = 16, 2000 GD steps, default step
    1/(‖A‖²‖U‖²) = 4.8e-3): loss 0.51 → 9.5e-6, relative error ‖x̂ − x*‖/‖x*‖ = 0.0129, which is
    also the smallest error along the path."""
    n, p = 128, 6
    m = 5 * p
    x = cst.smooth_signal(n, p, rng=0)
    A = cst.gaussian_matrix(m, n, rng=1)
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(n, 16), 128)
    res = cst.fit(gen, A, A @ x, steps=2000, x_true=x, record_every=50)
    assert res.loss[-1] < 1e-3 * res.loss[0]
    rel = math.sqrt(res.error[-1]) / float(np.linalg.norm(x))
    assert rel < 0.1
    # the no-early-stopping claim: the final error is within 2x of the best along the path
    assert res.error[-1] <= 2 * res.error.min() + 1e-12


@given(data=st.data())
def test_gd_fast_path_iterates_equal_the_plain_formula(xp, data):
    """cst.fit's GD moves C in the Fourier domain (FourierIterate, in-place update of the spectra);
    its iterates must equal C ← C − η Uᵀ[(r vᵀ) ∘ M] with r = Aᵀ(A ReLU(UC)v − y), M = 1(UC > 0),
    written out with the dense circulant U — for odd and even n, every step recorded by a callback."""
    gen, u, C0, rng = _setup(xp, data, n_max=16)
    n, k = C0.shape
    m = data.draw(st.integers(1, n), label="m")
    A = rng.standard_normal((m, n)) / math.sqrt(m)
    y = rng.standard_normal(m)
    eta, steps = 0.5 / (np.linalg.norm(A, 2) ** 2 * np.abs(np.fft.fft(u)).max() ** 2), 6
    seen = {}
    cst.fit(gen, on_backend(A, xp), on_backend(y, xp), params=C0, steps=steps, step_size=eta,
            callback=lambda t, P: seen.__setitem__(t, cst.to_numpy(P)))
    _, U, v, _ = _dense_forward(u, cst.to_numpy(C0))
    C = cst.to_numpy(C0)
    for t in range(steps + 1):
        np.testing.assert_allclose(seen[t], C, rtol=0, atol=1e-12 * max(1.0, np.abs(C).max()))
        Z = U @ C
        M = (Z > 0).astype(float)
        r = A.T @ (A @ (np.maximum(Z, 0) @ v) - y)
        C = C - eta * U.T @ (np.outer(r, v) * M)


def test_fit_with_adam_and_callback(xp):
    n = 32
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(n, 4, xp=xp), 16)
    x = cst.smooth_signal(n, 3, rng=0, xp=xp)
    A = cst.gaussian_matrix(16, n, rng=1, xp=xp)
    seen = []
    res = cst.fit(gen, A, A @ x, steps=300, optimizer="adam", step_size=1e-2, record_every=100,
                  callback=lambda t, P: seen.append((t, P.shape)))
    assert seen == [(0, (n, 16)), (100, (n, 16)), (200, (n, 16)), (300, (n, 16))]
    assert res.loss[-1] < 1e-2 * res.loss[0]


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: cst.TwoLayerGenerator(np.ones(4), 3), ValueError, "k must be even"),
        (lambda: cst.TwoLayerGenerator(np.ones(4), 0), ValueError, "k must be"),
        (lambda: cst.TwoLayerGenerator(np.ones(4), 2.0), TypeError, "k must be an integer"),
        (lambda: cst.TwoLayerGenerator(np.zeros(4), 2), ValueError, "all zero"),
        (lambda: cst.TwoLayerGenerator(np.ones((2, 2)), 2), ValueError, "u must be 1-D"),
        (lambda: cst.TwoLayerGenerator([1.0, 2.0], 2), TypeError, "u must be an array"),
        (lambda: cst.TwoLayerGenerator(np.ones(4), 2).forward(np.ones((4, 3))), ValueError, r"shape \(4, 2\)"),
        (lambda: cst.TwoLayerGenerator(np.ones(4), 2).forward(np.ones(8)), ValueError, r"shape \(4, 2\)"),
        (lambda: cst.TwoLayerGenerator(np.ones(4), 2).vjp(np.ones((4, 2)), np.ones(3)), ValueError, "cotangent"),
        (lambda: cst.TwoLayerGenerator(np.ones(4), 2).init(scale=-1.0), ValueError, "scale"),
    ],
)
def test_bad_input(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_mixed_backends_rejected():
    import array_api_strict as xs
    gen = cst.TwoLayerGenerator(np.ones(4), 2)
    with pytest.raises(TypeError):
        gen.forward(xs.ones((4, 2), dtype=xs.float64))
