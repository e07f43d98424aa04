"""Tests of complex images in cstheory/mri/: the complex-image SubsampledFourier, mri_problem(phase="smooth"),
smooth_phase and the magnitude scores."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cstheory as cst
from cstheory.mri import (SubsampledFourier, cartesian_mask, fourier_gram, magnitude, mri_problem, phantom, psnr,
                          random_mask, smooth_phase, ssim)
from cstheory._backend import to_numpy
from cstheory.testing import on_backend

MASKERS = {"cartesian": cartesian_mask, "random": random_mask}


def dense_complex(shape, mask):
    """The real 2m × 2n matrix of x = [x_re; x_im] ↦ [Re (F x)_Ω; Im (F x)_Ω], from the complex DFT rows (host)."""
    h, w = shape
    F = np.kron(np.fft.fft(np.eye(h), norm="ortho"), np.fft.fft(np.eye(w), norm="ortho"))
    R = F[np.flatnonzero(np.asarray(mask).reshape(-1))]
    # (a + ib)(x_re + i x_im) = (a x_re − b x_im) + i (b x_re + a x_im)
    return np.block([[R.real, -R.imag], [R.imag, R.real]])


@settings(max_examples=15, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(2, 9), acc=st.sampled_from([1.0, 2.0, 3.0]),
       kind=st.sampled_from(sorted(MASKERS)), seed=st.integers(0, 2**16))
def test_complex_adjoint_identity(xp, h, w, acc, kind, seed):
    """⟨A x, r⟩ = ⟨x, Aᵀ r⟩ over the reals for complex images x ∈ R^{2n}."""
    mask = MASKERS[kind]((h, w), acc, center_fraction=0.3, rng=seed, xp=xp)
    A = SubsampledFourier((h, w), mask, complex_image=True)
    assert A.shape == (2 * int(np.sum(to_numpy(mask))), 2 * h * w) and A.signal_shape == (2, h, w)
    rng = np.random.default_rng(seed)
    x = on_backend(rng.standard_normal(2 * h * w), xp)
    r = on_backend(rng.standard_normal(A.shape[0]), xp)
    lhs = float(xp.sum((A @ x) * r))
    rhs = float(xp.sum(x * (A.T @ r)))
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))


@pytest.mark.parametrize("kind", sorted(MASKERS))
def test_complex_operator_and_its_gram_are_the_dense_matrices(kind):
    mask = MASKERS[kind]((5, 6), 2.0, rng=3)
    A = SubsampledFourier((5, 6), mask, complex_image=True)
    M = dense_complex((5, 6), mask)
    cols = np.stack([A @ e for e in np.eye(60)], axis=1)
    np.testing.assert_allclose(cols, M, atol=1e-13)
    gram = np.stack([A.T @ (A @ e) for e in np.eye(60)], axis=1)
    np.testing.assert_allclose(gram, M.T @ M, atol=1e-13)
    # F unitary and no conjugate symmetry: the Gram is F^H P F, its Fourier symbol the mask itself
    np.testing.assert_array_equal(fourier_gram(A), mask.astype(float))


def test_real_operator_is_the_restriction_to_real_images():
    mask = cartesian_mask((8, 6), 3.0, rng=1)
    R, C = SubsampledFourier((8, 6), mask), SubsampledFourier((8, 6), mask, complex_image=True)
    rng = np.random.default_rng(0)
    x, r = rng.standard_normal((8, 6)), rng.standard_normal(R.shape[0])
    np.testing.assert_allclose(C @ np.stack([x, 0 * x]), R @ x, atol=1e-15)
    back = (C.T @ r).reshape(2, 8, 6)
    np.testing.assert_allclose(back[0].ravel(), R.T @ r, atol=1e-15)        # Aᵀ of the real image: the real part
    assert np.abs(back[1]).max() > 1e-3                                        # the imaginary part is not zero
    # flat and stacked inputs agree
    z = rng.standard_normal((2, 8, 6))
    np.testing.assert_array_equal(C @ z, C @ z.ravel())


def test_complex_zero_filling_is_the_adjoint_and_its_magnitude():
    P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0, phase="smooth")
    A = P.operator
    full = A.zero_filled(P.y, part="complex")
    np.testing.assert_allclose(full.ravel(), A.T @ P.y, atol=1e-15)
    np.testing.assert_allclose(A.zero_filled(P.y), magnitude(full), atol=1e-15)
    np.testing.assert_allclose(A.zero_filled(P.y, part="real"), full[0], atol=1e-15)
    # with every k-space location sampled, zero filling returns x* itself
    F = SubsampledFourier((16, 16), np.ones((16, 16), bool), complex_image=True)
    np.testing.assert_allclose(F.zero_filled(F @ P.image, part="complex"), P.image, atol=1e-13)


def test_complex_operator_validates_its_arguments():
    mask = cartesian_mask((8, 8), 2.0, rng=0)
    with pytest.raises(TypeError, match="complex_image must be True or False"):
        SubsampledFourier((8, 8), mask, complex_image=1)
    C = SubsampledFourier((8, 8), mask, complex_image=True)
    with pytest.raises(ValueError, match="x must be 1-D or 3-D"):
        C @ np.zeros((8, 8))
    with pytest.raises(ValueError, match=r"x must have shape \(128,\) or \(2, 8, 8\)"):
        C @ np.zeros((3, 8, 8))
    with pytest.raises(ValueError, match="part must be one of"):
        C.zero_filled(C @ np.zeros(128), part="imag")


# ---------------------------------------------------------------------------
# smooth_phase and mri_problem(phase="smooth")
# ---------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(h=st.integers(4, 24), w=st.integers(4, 24), seed=st.integers(0, 2**16))
def test_smooth_phase_is_low_frequency_with_peak_to_peak_pi(h, w, seed):
    phi = smooth_phase((h, w), rng=seed)
    assert phi.shape == (h, w)
    assert phi.max() - phi.min() == pytest.approx(math.pi, rel=1e-12)
    # a sum of cosines of integer frequencies |k|, |l| ≤ 2 on the pixel centres: no other DFT coefficient
    K = np.fft.fft2(phi)
    k = np.minimum(np.arange(h), h - np.arange(h))[:, None]
    l = np.minimum(np.arange(w), w - np.arange(w))[None, :]
    outside = (k > 2) | (l > 2)
    assert np.abs(K[outside]).max(initial=0.0) <= 1e-9 * np.abs(K).max()


def test_phase_none_is_bit_identical_to_the_documented_draws():
    """phase=None: the mask, then the noise, from one generator (as before the phase existed)."""
    g = np.random.default_rng(7)
    x = phantom(16)
    mask = cartesian_mask((16, 16), 4.0, rng=g)
    A = SubsampledFourier((16, 16), mask)
    clean = A @ x
    s = np.linalg.norm(clean) / math.sqrt(clean.size) * 10.0 ** (-25.0 / 20.0)
    y = clean + g.standard_normal(clean.size) * s
    for P in (mri_problem("shepp_logan", size=16, acceleration=4.0, snr_db=25.0, rng=7),
              mri_problem("shepp_logan", size=16, acceleration=4.0, snr_db=25.0, rng=7, phase=None)):
        np.testing.assert_array_equal(P.image, x)
        np.testing.assert_array_equal(P.operator.mask, mask)
        np.testing.assert_array_equal(P.y, y)
        assert not P.complex_image


@pytest.mark.parametrize("oversample", [1, 4])
def test_smooth_phase_problem_keeps_mask_and_noise_draws(oversample):
    kw = dict(size=16, acceleration=4.0, snr_db=20.0, rng=3, oversample=oversample)
    R, C = mri_problem("camera", **kw), mri_problem("camera", phase="smooth", **kw)
    assert C.complex_image and C.image.shape == (2, 16, 16) and C.operator.signal_shape == (2, 16, 16)
    np.testing.assert_array_equal(C.operator.mask, R.operator.mask)
    # the same standard normal draws, scaled to each problem's SNR
    np.testing.assert_allclose((C.y - C.operator @ C.image) / C.noise_std,
                               (R.y - R.operator @ R.image) / R.noise_std, atol=1e-12)
    snr = 10 * np.log10(np.sum((C.operator @ C.image) ** 2) / (C.y.size * C.noise_std ** 2))
    assert snr == pytest.approx(20.0, abs=1e-9)
    # one seed, one object: the phase does not depend on the noise level
    np.testing.assert_array_equal(mri_problem("camera", phase="smooth", **{**kw, "snr_db": None}).image, C.image)
    mag = magnitude(C.image)
    if oversample == 1:           # m e^{iφ} on the grid itself: the magnitude is the picture
        np.testing.assert_allclose(mag, R.image, atol=1e-15)
        phase = np.angle(C.image[0] + 1j * C.image[1])
        assert 0.5 < np.ptp(np.unwrap(np.unwrap(phase, axis=0), axis=1)[R.image > 0.05]) < math.pi + 1e-9
    else:                         # the band-limited complex object: close to the real reference, not equal
        assert 0 < np.abs(mag - R.image).max() < 0.1


def test_phase_argument_is_checked():
    with pytest.raises(ValueError, match="phase must be one of"):
        mri_problem(size=8, phase="rough")
    with pytest.raises(TypeError, match="phase"):
        mri_problem(size=8, phase=1)


# ---------------------------------------------------------------------------
# magnitude scores
# ---------------------------------------------------------------------------
def test_magnitude_psnr_is_the_real_psnr_for_a_zero_phase_and_ignores_a_global_phase():
    x = phantom(16)
    noisy = np.clip(x + 0.05 * np.random.default_rng(0).standard_normal(x.shape), 0, None)
    stack = lambda z: np.stack([z.real, z.imag])                                   # noqa: E731
    assert psnr(stack(noisy + 0j), stack(x + 0j)) == pytest.approx(psnr(noisy, x), abs=1e-12)
    assert ssim(stack(noisy + 0j), stack(x + 0j)) == pytest.approx(ssim(noisy, x), abs=1e-12)
    turn = np.exp(0.7j)
    assert psnr(stack(noisy * turn), stack(x * np.exp(-2j))) == pytest.approx(psnr(noisy, x), abs=1e-12)
    assert psnr(stack(noisy * turn).ravel(), stack(x + 0j)) == pytest.approx(psnr(noisy, x), abs=1e-12)


def test_magnitude_scores_validate_shapes():
    z = np.zeros((2, 4, 4))
    z[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="x must have the shape of the complex x_true"):
        psnr(np.zeros((4, 4)), z)
    with pytest.raises(ValueError, match=r"x_true must have shape \(h, w\) or \(2, h, w\)"):
        psnr(np.zeros((3, 4, 4)), np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match=r"x must have shape \(2, h, w\)"):
        magnitude(np.zeros((3, 4, 4)))
    np.testing.assert_allclose(magnitude(np.stack([3 * np.ones((2, 2)), -4 * np.ones((2, 2))])), 5.0)
