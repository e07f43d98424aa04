"""Tests of the baselines on complex images (2, h, w) (cstheory/baselines/): the grouped proximal maps, the
complex TV and ℓ1 problems, zero filling, the refusals, and λ tuning by magnitude PSNR."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import cstheory as cst
from cstheory import baselines
from cstheory.baselines import shrink
from cstheory.baselines.prox import project_tv_dual
from cstheory.baselines.transforms import grad, grad_t, tv_of
from cstheory.mri import SubsampledFourier, cartesian_mask, mri_problem, phantom, psnr

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def symmetric(mask):
    """The mask together with its mirror −k: a real image's k-space is then all the data says."""
    return mask | np.roll(np.flip(mask, axis=(0, 1)), (1, 1), axis=(0, 1))


@settings(max_examples=40, deadline=None)
@given(c=arrays(np.float64, (2, 3, 4), elements=finite), t=st.floats(0, 5))
def test_complex_soft_threshold_is_the_prox_of_the_modulus_sum(c, t):
    """shrink on (2, h, w) = the complex soft threshold z ↦ z · max(1 − t/|z|, 0), the prox of t Σ|z_ij|."""
    out = shrink(c, t)
    z = c[0] + 1j * c[1]
    mod = np.abs(z)
    want = np.where(mod > t, z * (1 - t / np.where(mod > t, mod, 1.0)), 0.0)   # divides only where |z| > t
    np.testing.assert_allclose(out[0] + 1j * out[1], want, atol=1e-12)

    def objective(u):                     # the definition: argmin ½‖u − c‖² + t Σ |u_ij|
        return 0.5 * np.sum((u - c) ** 2) + t * np.sum(np.sqrt(u[0] ** 2 + u[1] ** 2))

    rng = np.random.default_rng(0)
    best = objective(out)
    for _ in range(20):
        assert objective(out + 1e-3 * rng.standard_normal(c.shape)) >= best - 1e-12


@settings(max_examples=25, deadline=None)
@given(x=arrays(np.float64, (2, 4, 5), elements=finite), f=arrays(np.float64, (4, 4, 5), elements=finite),
       boundary=st.sampled_from(["neumann", "periodic"]))
def test_complex_gradient_its_adjoint_and_the_grouped_tv(x, f, boundary):
    g = grad(x, boundary)
    assert g.shape == (4, 4, 5)
    assert float(np.sum(g * f)) == pytest.approx(float(np.sum(x * grad_t(f, boundary))), abs=1e-9)
    # TV of the complex image: Σ √(|∂₀z|² + |∂₁z|²), z = x_re + i x_im, the four differences grouped per pixel
    z = x[0] + 1j * x[1]
    d = cst.baselines.gradient(z.real, boundary) + 1j * cst.baselines.gradient(z.imag, boundary)
    assert tv_of(g) == pytest.approx(float(np.sum(np.sqrt(np.sum(np.abs(d) ** 2, axis=0)))), rel=1e-12, abs=1e-12)
    # the TV dual step projects each pixel's four components onto the λ-ball
    p = project_tv_dual(f, 1.5, True)
    assert np.sqrt(np.sum(p ** 2, axis=0)).max() <= 1.5 + 1e-12


@pytest.mark.parametrize("method, tol", [("tv", 1e-9), ("l1-haar", 1e-10), ("l1-dct", 1e-10)])
def test_a_zero_phase_with_a_symmetric_mask_gives_the_real_solution(method, tol):
    """With a conjugate-symmetric mask the k-space of a real image says nothing its mirror does not, so the
    complex problem's minimiser is the real one, with a zero imaginary part (the cross-check of the two
    formulations).  (With another mask the complex problem has less information and the solutions differ.)"""
    mask = symmetric(cartesian_mask((16, 16), 4.0, rng=1))
    R, C = SubsampledFourier((16, 16), mask), SubsampledFourier((16, 16), mask, complex_image=True)
    y = R @ phantom(16)
    real = baselines.solve(method, R, y, lam=0.01, tol=tol)
    cplx = baselines.solve(method, C, y, lam=0.01, tol=tol)
    assert real.converged and cplx.converged and cplx.image.shape == (2, 16, 16)
    assert np.abs(cplx.image[0] - real.image).max() < 1e-3
    assert np.abs(cplx.image[1]).max() < 1e-9
    assert cplx.objective[-1] == pytest.approx(real.objective[-1], rel=1e-4)
    zf = baselines.zero_filled(C, y)
    np.testing.assert_allclose(zf[0], baselines.zero_filled(R, y, part="real"), atol=1e-14)
    assert np.abs(zf[1]).max() < 1e-14


def test_complex_tv_two_algorithms_agree_and_the_objectives_settle():
    P = mri_problem("shepp_logan", size=8, acceleration=2, rng=0, oversample=2, phase="smooth")
    admm = baselines.tv_admm(P.operator, P.y, lam=0.05, tol=1e-9)
    cp = baselines.tv(P.operator, P.y, lam=0.05, boundary="periodic", tol=1e-9)
    assert admm.converged and cp.converged
    assert np.abs(admm.image - cp.image).max() < 1e-6
    # the recorded objective is ½‖A x − y‖² + λ TV(x) of the complex image
    r = P.operator @ admm.image - P.y
    want = 0.5 * np.sum(r * r) + 0.05 * tv_of(grad(admm.image, "periodic"))
    assert admm.objective[-1] == pytest.approx(want, rel=1e-6)
    fista = baselines.l1_haar(P.operator, P.y, lam=0.01, tol=1e-8)
    assert fista.converged and np.all(np.diff(fista.objective) <= 1e-12)    # MFISTA: non-increasing
    # a complex image is no minimiser of the real problem's objective: its imaginary part is real content
    assert np.abs(admm.image[1]).max() > 0.05


def test_lambda_scales_are_lambda_max_for_complex_images():
    """Above λ_max = max_ij |(Ψ Aᵀ y)_ij| (the largest modulus) the ℓ1 solution is 0, below it is not."""
    P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0, phase="smooth")
    lam_max = baselines.lambda_scale("l1-haar", P.operator, P.y)
    assert float(np.abs(baselines.l1_haar(P.operator, P.y, lam=lam_max).image).max()) == 0.0
    assert float(np.abs(baselines.l1_haar(P.operator, P.y, lam=0.9 * lam_max).image).max()) > 0.0
    zf = baselines.zero_filled(P.operator, P.y)
    assert baselines.lambda_scale("tv", P.operator, P.y) == pytest.approx(float(np.sqrt(np.sum(zf ** 2, 0)).max()))


def test_oracle_tuning_scores_the_magnitude():
    P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0, phase="smooth")
    choice = baselines.tune_lambda("tv", P.operator, P.y, rule="oracle", truth=P.image)
    assert choice.result.image.shape == (2, 16, 16)
    assert psnr(choice.result.image, P.image) == pytest.approx(float(np.max(choice.scores)))
    assert psnr(choice.result.image, P.image) > psnr(baselines.zero_filled(P.operator, P.y), P.image)


def test_methods_without_a_meaning_for_complex_images_refuse_them():
    P = mri_problem("shepp_logan", size=8, acceleration=2, rng=0, phase="smooth")
    with pytest.raises(ValueError, match=r"shape \(2, 8, 8\) is a complex image .*'tv-box' bounds a real image"):
        baselines.reconstruct("tv-box", P.operator, P.y)
    with pytest.raises(ValueError, match=r"shape \(2, 8, 8\) is a complex image .*box"):
        baselines.tv_admm(P.operator, P.y, box=(0, 1))
    with pytest.raises(ValueError, match=r"shape \(2, 8, 8\) is a complex image .*box"):
        baselines.tv(P.operator, P.y, box=(0, 1))
    with pytest.raises(ValueError, match=r"shape must be \(h, w\), or \(2, h, w\)"):
        baselines.solve("tv", np.eye(48), np.zeros(48), shape=(3, 4, 4))
    with pytest.raises(ValueError, match=r"x0 must be 1-D or 3-D, got shape \(8, 16\)"):
        baselines.solve("tv", P.operator, P.y, x0=np.zeros((8, 16)))
    with pytest.raises(ValueError, match=r"x0 must hold 128 pixels \(shape \(2, 8, 8\)\), got shape \(4, 4, 8\)"):
        baselines.solve("l1-haar", P.operator, P.y, x0=np.zeros((4, 4, 8)))
    with pytest.raises(ValueError, match=r"truth must have the image shape \(2, 8, 8\)"):
        baselines.tune_lambda("tv", P.operator, P.y, rule="oracle", truth=P.image[0])


@pytest.mark.parametrize("method, analysis, synthesis", [
    ("l1-haar", baselines.haar2, baselines.ihaar2),
    ("l1-dct", lambda x: cst._backend.dct(x), lambda c: cst._backend.idct(c))])
def test_complex_l1_with_a_unitary_operator_is_the_complex_soft_threshold(method, analysis, synthesis):
    """A = the full DFT of complex images (unitary): the minimiser of ½‖A x − y‖² + λ Σ|(Ψ x)_ij| is
    Ψᵀ csoft(Ψ z, λ), z = F^H y the zero-filled image and csoft the complex soft threshold of each (re, im)."""
    C = SubsampledFourier((8, 8), np.ones((8, 8), bool), complex_image=True)
    rng = np.random.default_rng(4)
    y = rng.standard_normal(C.shape[0])
    z = (C.T @ y).reshape(2, 8, 8)
    coeffs = np.stack([analysis(z[0]), analysis(z[1])])
    t = 0.5
    kept = shrink(coeffs, t)
    exact = np.stack([synthesis(kept[0]), synthesis(kept[1])])
    res = baselines.solve(method, C, y, lam=t, tol=1e-12)
    assert res.converged
    np.testing.assert_allclose(res.image, exact, atol=1e-8)
