"""Tests of the classical reconstructions: closed forms and independent solvers as references."""
import math

import numpy as np
import pytest
import scipy.fft
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from cstheory import baselines, mri
from cstheory._backend import to_numpy
from cstheory.operators import SubsampledFourier, cartesian_mask, random_mask
from cstheory.testing import assert_adjoint, assert_allclose, on_backend


def host_grad(x):
    """Forward differences, Neumann boundary (independent NumPy version), shape (2, h, w)."""
    g0 = np.zeros_like(x)
    g1 = np.zeros_like(x)
    g0[:-1] = x[1:] - x[:-1]
    g1[:, :-1] = x[:, 1:] - x[:, :-1]
    return np.stack([g0, g1])


def difference_matrix(shape):
    """The dense matrix D of the gradient (2hw × hw), built column by column from host_grad."""
    n = shape[0] * shape[1]
    return np.stack([host_grad(np.eye(n)[j].reshape(shape)).reshape(-1) for j in range(n)], axis=1)


def tv_objective(x, A, y, lam, isotropic=True):
    g = host_grad(x)
    tvx = np.sum(np.sqrt(g[0] ** 2 + g[1] ** 2)) if isotropic else np.sum(np.abs(g))
    r = A @ x.reshape(-1) - y
    return 0.5 * r @ r + lam * tvx


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------
@settings(max_examples=10)
@given(h=st.integers(1, 7), w=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_gradient_adjoint_and_reference(xp, h, w, seed):
    rng = np.random.default_rng(seed)
    x = on_backend(rng.standard_normal((h, w)), xp)
    p = on_backend(rng.standard_normal((2, h, w)), xp)
    assert_allclose(baselines.gradient(x), on_backend(host_grad(to_numpy(x)), xp))
    assert_adjoint(baselines.gradient, baselines.gradient_adjoint, x, p)


def test_gradient_norm_bound():
    D = difference_matrix((6, 7))
    assert np.linalg.norm(D, 2) ** 2 <= 8.0


def test_soft_threshold_is_the_l1_prox(xp):
    c = on_backend(np.array([-3.0, -0.5, 0.0, 0.2, 2.0]), xp)
    assert_allclose(baselines.soft_threshold(c, 1.0), on_backend(np.array([-2.0, 0.0, 0.0, 0.0, 1.0]), xp))


def test_total_variation_of_a_step():
    x = np.zeros((4, 6))
    x[:, 3:] = 2.0
    assert baselines.total_variation(x) == pytest.approx(8.0)      # 4 rows × jump 2
    x[2:, :] += 1.0
    # anisotropic counts |∂0| + |∂1|, isotropic takes the norm where both jumps meet
    assert baselines.total_variation(x, isotropic=False) == pytest.approx(8.0 + 6.0)
    assert baselines.total_variation(x) < 14.0


# ---------------------------------------------------------------------------
# FISTA for ℓ1 in the DCT
# ---------------------------------------------------------------------------
def test_fista_identity_is_dct_soft_thresholding(xp):
    """A = I: the minimiser of ½‖x − y‖² + λ‖Ψx‖₁ is Ψᵀ soft(Ψ y, λ) in closed form."""
    shape = (6, 5)
    y_host = np.random.default_rng(0).standard_normal(30)
    lam = 0.4
    closed = scipy.fft.idctn(baselines.soft_threshold(scipy.fft.dctn(y_host.reshape(shape), norm="ortho"), lam),
                             norm="ortho")
    A = on_backend(np.eye(30), xp)
    res = baselines.l1_dct(A, on_backend(y_host, xp), shape=shape, lam=lam, iters=200, tol=0.0)
    assert_allclose(res.image, on_backend(closed, xp), rtol=1e-10)


def _lasso_reference(M, y, lam):
    """min_c ½‖M c − y‖² + λ‖c‖₁ as a smooth bound-constrained problem in (c⁺, c⁻) ≥ 0, by L-BFGS-B."""
    n = M.shape[1]

    def f(z):
        c = z[:n] - z[n:]
        r = M @ c - y
        g = M.T @ r
        return 0.5 * r @ r + lam * z.sum(), np.concatenate([g + lam, -g + lam])

    out = scipy.optimize.minimize(f, np.zeros(2 * n), jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * n),
                                  options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-12})
    return out.x[:n] - out.x[n:]


def test_fista_matches_an_independent_lasso_solver(xp):
    shape = (4, 5)
    A = np.random.default_rng(1).standard_normal((12, 20)) / math.sqrt(12)
    x_true = np.zeros(shape)
    x_true[1:3, 1:4] = 1.0
    y = A @ x_true.reshape(-1)
    lam = 0.05
    # M = A Ψᵀ: columns are A applied to the inverse DCT of unit coefficients
    M = np.stack([A @ scipy.fft.idctn(np.eye(20)[j].reshape(shape), norm="ortho").reshape(-1) for j in range(20)], 1)
    c_ref = _lasso_reference(M, y, lam)
    x_ref = scipy.fft.idctn(c_ref.reshape(shape), norm="ortho")
    res = baselines.l1_dct(on_backend(A, xp), on_backend(y, xp), shape=shape, lam=lam, iters=800, tol=0.0)
    assert_allclose(res.image, on_backend(x_ref, xp), rtol=1e-6, atol=1e-6)
    F_ref = 0.5 * np.sum((M @ c_ref - y) ** 2) + lam * np.abs(c_ref).sum()
    assert res.objective[-1] <= F_ref + 1e-10


def test_mfista_objective_is_monotone_and_plain_fista_converges_too(xp):
    P = mri.mri_problem("shepp_logan", size=16, acceleration=4, rng=0, xp=xp)
    mono = baselines.l1_dct(P.operator, P.y, iters=300, tol=0.0)
    assert np.all(np.diff(mono.objective) <= 1e-12 * mono.objective[0])
    plain = baselines.l1_dct(P.operator, P.y, iters=300, tol=0.0, monotone=False)
    assert abs(plain.objective[-1] - mono.objective[-1]) <= 1e-6 * mono.objective[0]
    assert mono.objective[-1] < 0.05 * mono.objective[0]


def test_l1_lambda_rule_zero_solution_at_lambda_max(xp):
    """‖Ψ Aᵀ y‖_∞ is the smallest λ with x = 0 optimal: the rule's scale."""
    P = mri.mri_problem("shepp_logan", size=16, acceleration=2, rng=0, xp=xp)
    at_max = baselines.l1_dct(P.operator, P.y, lam_fraction=1.0, iters=50)
    assert float(xp.max(xp.abs(at_max.image))) == 0.0
    below = baselines.l1_dct(P.operator, P.y, lam_fraction=0.9, iters=50)
    assert float(xp.max(xp.abs(below.image))) > 0.0
    # scale invariance of the rule: y → 3y gives x → 3x
    triple = baselines.l1_dct(P.operator, 3.0 * P.y, iters=50)
    once = baselines.l1_dct(P.operator, P.y, iters=50)
    assert triple.lam == pytest.approx(3 * once.lam)
    assert_allclose(triple.image, 3.0 * once.image, rtol=1e-8)


# ---------------------------------------------------------------------------
# Chambolle–Pock for total variation
# ---------------------------------------------------------------------------
def _tv1d_reference(y, lam):
    """1-D TV denoising through its dual, min_{|u| ≤ λ} ½‖y − Dᵀu‖², a box QP, by L-BFGS-B; x = y − Dᵀu."""
    n = y.size
    D = np.diff(np.eye(n), axis=0)          # (n−1) × n forward differences

    def f(u):
        r = y - D.T @ u
        return 0.5 * r @ r, -(D @ r)

    out = scipy.optimize.minimize(f, np.zeros(n - 1), jac=True, method="L-BFGS-B", bounds=[(-lam, lam)] * (n - 1),
                                  options={"maxiter": 20000, "ftol": 1e-16, "gtol": 1e-13})
    return y - D.T @ out.x


def test_chambolle_pock_1d_tv_denoising_matches_the_dual_qp(xp):
    rng = np.random.default_rng(0)
    signal = np.repeat([0.0, 1.0, 0.3, 0.8], 6)
    y = signal + 0.1 * rng.standard_normal(signal.size)
    lam = 0.2
    ref = _tv1d_reference(y, lam)
    n = y.size
    res = baselines.tv(on_backend(np.eye(n), xp), on_backend(y, xp), shape=(1, n), lam=lam, iters=1000, tol=0.0)
    assert_allclose(xp.reshape(res.image, (-1,)), on_backend(ref, xp), rtol=1e-6, atol=1e-6)


def _tv2d_denoise_reference(y, lam, iters):
    """Isotropic TV denoising by an independent method: FISTA on the dual (Beck–Teboulle's FGP),
    min_{‖p_ij‖ ≤ λ} ½‖y − ∇ᵀp‖², with step 1/8 (‖∇‖² ≤ 8); x = y − ∇ᵀp."""
    def gradT(p):
        return np.asarray(baselines.gradient_adjoint(p))

    def proj(p):
        return p / np.maximum(1.0, np.sqrt(p[0] ** 2 + p[1] ** 2) / lam)

    p = q = np.zeros((2,) + y.shape)
    t = 1.0
    for _ in range(iters):
        p_new = proj(q + host_grad(y - gradT(q)) / 8.0)
        t_new = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        q = p_new + (t - 1) / t_new * (p_new - p)
        p, t = p_new, t_new
    return y - gradT(p)


def test_chambolle_pock_2d_isotropic_tv_denoising_matches_dual_fista(xp):
    rng = np.random.default_rng(1)
    x0 = np.zeros((6, 7))
    x0[1:4, 2:6] = 1.0
    x0[3:, :3] += 0.5
    y = x0 + 0.1 * rng.standard_normal(x0.shape)
    lam = 0.15
    ref = _tv2d_denoise_reference(y, lam, iters=5000)
    res = baselines.tv(on_backend(np.eye(42), xp), on_backend(y.reshape(-1), xp), shape=(6, 7), lam=lam,
                       iters=1200, tol=0.0)
    assert_allclose(res.image, on_backend(ref, xp), rtol=1e-5, atol=1e-5)
    eye = np.eye(42)
    assert res.objective[-1] <= tv_objective(ref, eye, y.reshape(-1), lam) * (1 + 1e-7)


def test_chambolle_pock_anisotropic_tv_with_a_general_operator():
    """A of full column rank: the dual min_{|u| ≤ λ} ½ (Aᵀy − Dᵀu)ᵀ (AᵀA)⁻¹ (Aᵀy − Dᵀu) is a box QP;
    x = (AᵀA)⁻¹(Aᵀy − Dᵀu).  Solved by L-BFGS-B, compared with Chambolle–Pock."""
    shape = (4, 5)
    n = 20
    rng = np.random.default_rng(2)
    A = rng.standard_normal((30, n)) / math.sqrt(30)
    x0 = np.zeros(shape)
    x0[1:3, 2:] = 1.0
    y = A @ x0.reshape(-1) + 0.05 * rng.standard_normal(30)
    lam = 0.1
    D = difference_matrix(shape)
    H = np.linalg.inv(A.T @ A)
    b = A.T @ y

    def f(u):
        v = b - D.T @ u
        Hv = H @ v
        return 0.5 * v @ Hv, -(D @ Hv)

    out = scipy.optimize.minimize(f, np.zeros(D.shape[0]), jac=True, method="L-BFGS-B",
                                  bounds=[(-lam, lam)] * D.shape[0],
                                  options={"maxiter": 50000, "ftol": 1e-16, "gtol": 1e-13})
    x_ref = (H @ (b - D.T @ out.x)).reshape(shape)
    res = baselines.tv(A, y, shape=shape, lam=lam, isotropic=False, iters=30000, tol=1e-13)
    assert_allclose(res.image, x_ref, rtol=1e-5, atol=1e-5)
    assert res.objective[-1] <= tv_objective(x_ref, A, y, lam, isotropic=False) + 1e-9


def test_chambolle_pock_objective_decreases_on_fourier_data(xp):
    P = mri.mri_problem("shepp_logan", size=16, acceleration=4, mask="random", rng=0, xp=xp)
    res = baselines.tv(P.operator, P.y, iters=200, tol=0.0)
    F = res.objective
    # primal–dual iterates are not monotone step by step; the trend is, towards the optimum
    checkpoints = F[[10, 50, 100, 200]]
    assert np.all(np.diff(checkpoints) < 0)
    assert F[-1] < 0.05 * F[0]
    assert res.step_sizes["tau"] * res.step_sizes["sigma"] * (1.0 + 8.0) < 1.0


# ---------------------------------------------------------------------------
# zero filling, dispatch, quality on the phantom, validation
# ---------------------------------------------------------------------------
def test_zero_filled(xp):
    mask = random_mask((8, 8), 2, rng=0, xp=xp)
    A = SubsampledFourier((8, 8), mask)
    y = on_backend(np.random.default_rng(0).standard_normal(A.shape[0]), xp)
    assert_allclose(baselines.zero_filled(A, y), A.zero_filled(y))
    B = on_backend(np.random.default_rng(1).standard_normal((10, 12)), xp)
    r = on_backend(np.ones(10), xp)
    assert_allclose(baselines.zero_filled(B, r, shape=(3, 4)), xp.reshape(B.T @ r, (3, 4)))


def test_classical_methods_improve_on_zero_filling_for_the_phantom(xp):
    P = mri.mri_problem("shepp_logan", size=32, acceleration=4, rng=1, xp=xp)
    psnr = {m: mri.psnr(baselines.reconstruct(m, P.operator, P.y, **({} if m == "zero-filled" else {"iters": 200})),
                        P.image)
            for m in baselines.METHODS}
    assert psnr["tv"] > psnr["zero-filled"] + 2.0
    assert psnr["l1-dct"] > psnr["zero-filled"]


def test_baselines_validate_arguments():
    A = SubsampledFourier((8, 8), cartesian_mask((8, 8), 2, rng=0))
    y = np.zeros(A.shape[0])
    with pytest.raises(ValueError, match="method"):
        baselines.reconstruct("wavelet", A, y)
    with pytest.raises(ValueError, match="y must have length"):
        baselines.tv(A, np.zeros(3))
    with pytest.raises(ValueError, match="pixels"):
        baselines.l1_dct(A, y, shape=(4, 4))
    with pytest.raises(ValueError, match="shape must be given"):
        baselines.l1_dct(np.eye(4), np.zeros(4))
    with pytest.raises(ValueError, match="lam"):
        baselines.tv(A, y, lam=-1.0)
    with pytest.raises(TypeError, match="iters"):
        baselines.l1_dct(A, y, iters=2.5)


# ---------------------------------------------------------------------------
# the first iterates against the documented update equations
# ---------------------------------------------------------------------------
def _small_problem(seed=3, shape=(4, 5), m=12):
    rng = np.random.default_rng(seed)
    n = shape[0] * shape[1]
    A = rng.standard_normal((m, n)) / math.sqrt(m)
    x = np.zeros(shape)
    x[1:3, 1:4] = 1.0
    return A, A @ x.reshape(-1) + 0.05 * rng.standard_normal(m), shape


def _fista_by_hand(A, y, shape, lam, step, iters, monotone):
    """The iteration of the l1_dct docstring, Ψ = orthonormal 2-D DCT (scipy), on the host."""
    def synth(c):
        return scipy.fft.idctn(c, norm="ortho").reshape(-1)

    def objective(c):
        r = A @ synth(c) - y
        return 0.5 * r @ r + lam * np.abs(c).sum()

    c = np.zeros(shape)
    v, t, F = c, 1.0, objective(c)
    history = [F]
    for _ in range(iters):
        grad = scipy.fft.dctn((A.T @ (A @ synth(v) - y)).reshape(shape), norm="ortho")
        z = np.sign(v - step * grad) * np.maximum(np.abs(v - step * grad) - step * lam, 0.0)
        Fz = objective(z)
        c_new, F_new = (c, F) if (monotone and Fz > F) else (z, Fz)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        v = c_new + (t / t_next) * (z - c_new) + ((t - 1) / t_next) * (c_new - c)
        c, F, t = c_new, F_new, t_next
        history.append(F)
    return scipy.fft.idctn(c, norm="ortho"), np.array(history)


@pytest.mark.parametrize("monotone", [True, False])
@pytest.mark.parametrize("iters", [1, 2, 3])
def test_fista_first_iterates_follow_the_update_equations(xp, iters, monotone):
    """z_k = soft(v_k − ∇f(v_k)/L, λ/L), t_{k+1} = (1 + √(1 + 4t_k²))/2,
    v_{k+1} = c_k + (t_k/t_{k+1})(z_k − c_k) + ((t_k − 1)/t_{k+1})(c_k − c_{k−1}), c_k = z_k or (MFISTA)
    the better of z_k and c_{k−1}: iterates 1–3 and the objective history, written out on the host.
    The step is 1/L with L = 1.01‖A‖² (‖A‖ by power iteration: checked against numpy.linalg.norm).
    Measured agreement ≤ 2.7e-16 (relative); asserted 1e-15."""
    A, y, shape = _small_problem()
    lam = 0.02
    res = baselines.l1_dct(on_backend(A, xp), on_backend(y, xp), shape=shape, lam=lam, iters=iters, tol=0.0,
                           monotone=monotone)
    step = res.step_sizes["step"]
    assert step == pytest.approx(1.0 / (1.01 * np.linalg.norm(A, 2) ** 2), rel=3e-10)   # power iteration: measured 1.0e-10
    image, history = _fista_by_hand(A, y, shape, lam, step, iters, monotone)
    assert res.iterations == iters and res.lam == lam
    assert_allclose(res.image, image, rtol=1e-15)
    np.testing.assert_allclose(res.objective, history, rtol=1e-15)
    assert np.abs(image).max() > 0.1      # the iterates moved


def _cp_by_hand(A, y, shape, lam, tau, sigma, iters, isotropic):
    """The primal–dual iteration of the tv docstring (θ = 1), with ∇ as a dense difference matrix."""
    D = difference_matrix(shape)
    n = shape[0] * shape[1]
    x, xbar = np.zeros(n), np.zeros(n)
    q, p = np.zeros(len(y)), np.zeros(2 * n)

    def objective(x):
        return tv_objective(x.reshape(shape), A, y, lam, isotropic)

    history = [objective(x)]
    for _ in range(iters):
        q = (q + sigma * (A @ xbar - y)) / (1 + sigma)
        p = p + sigma * (D @ xbar)
        if isotropic:
            P = p.reshape(2, n)
            p = (P / np.maximum(1.0, np.sqrt(P[0] ** 2 + P[1] ** 2) / lam)).reshape(-1)
        else:
            p = np.clip(p, -lam, lam)
        x_new = x - tau * (A.T @ q + D.T @ p)
        xbar = 2 * x_new - x
        x = x_new
        history.append(objective(x))
    return x.reshape(shape), np.array(history)


@pytest.mark.parametrize("isotropic", [True, False])
@pytest.mark.parametrize("iters", [1, 2, 3])
def test_chambolle_pock_first_iterates_follow_the_update_equations(xp, iters, isotropic):
    """q ← (q + σ(A x̄ − y))/(1 + σ), p ← Π_λ(p + σ∇x̄), x ← x − τ(Aᵀq + ∇ᵀp), x̄ ← 2x_new − x, with
    τ = σ = 0.99/√(1.01‖A‖² + 8): iterates 1–3 and the objective history, written out on the host with
    ∇ as a dense matrix.  Measured agreement ≤ 2.2e-16 (relative); asserted 1e-15."""
    A, y, shape = _small_problem(seed=4)
    lam = 0.05
    res = baselines.tv(on_backend(A, xp), on_backend(y, xp), shape=shape, lam=lam, iters=iters, tol=0.0,
                       isotropic=isotropic)
    tau, sigma = res.step_sizes["tau"], res.step_sizes["sigma"]
    assert tau == sigma == pytest.approx(0.99 / math.sqrt(1.01 * np.linalg.norm(A, 2) ** 2 + 8.0), rel=1e-8)  # power iteration: measured 3.5e-9
    image, history = _cp_by_hand(A, y, shape, lam, tau, sigma, iters, isotropic)
    assert res.iterations == iters and res.lam == lam
    assert_allclose(res.image, image, rtol=1e-15)
    np.testing.assert_allclose(res.objective, history, rtol=1e-15)
    assert np.abs(image).max() > 0.01      # the iterates moved
