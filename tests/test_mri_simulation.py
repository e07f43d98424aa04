"""The MRI simulation without the inverse crime: k-space of a finer object, cropped (mri_problem(oversample=...))."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cstheory as cst
from cstheory import mri
from cstheory._backend import to_numpy


def central_kspace(fine, shape):
    """Independent crop: fftshift the fine k-space, take the centred block, average the even Nyquist line."""
    H, W = fine.shape
    h, w = shape
    K = np.fft.fftshift(np.fft.fft2(fine, norm="ortho"))
    # fftshift puts frequency 0 at index H//2; the coarse frequencies −⌊h/2⌋ … ⌈h/2⌉ − 1
    rows = np.arange(-(h // 2), (h + 1) // 2) + H // 2
    cols = np.arange(-(w // 2), (w + 1) // 2) + W // 2
    C = K[np.ix_(rows, cols)].copy()
    top, right = (H // 2 + h // 2) % H, (W // 2 + w // 2) % W     # +h/2 and +w/2 (wrap when h = H)
    if h % 2 == 0:                              # frequency −h/2 also receives +h/2 (aliased on the coarse grid)
        C[0, :] = 0.5 * (K[rows[0], cols] + K[top, cols])
    if w % 2 == 0:
        extra = K[rows, right].copy()
        if h % 2 == 0:
            extra[0] = 0.5 * (K[rows[0], right] + K[top, right])
        C[:, 0] = 0.5 * (C[:, 0] + extra)
    return np.fft.ifftshift(C) * np.sqrt(h * w / (H * W))


@settings(max_examples=20)
@given(h=st.integers(1, 9), w=st.integers(1, 9), fh=st.integers(1, 3), fw=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_fourier_downsample_keeps_the_central_frequencies(h, w, fh, fw, seed):
    fine = np.random.default_rng(seed).standard_normal((h * fh, w * fw))
    out = mri.fourier_downsample(fine, (h, w))
    assert out.dtype == np.float64 and out.shape == (h, w)
    np.testing.assert_allclose(np.fft.fft2(out, norm="ortho"), central_kspace(fine, (h, w)), atol=1e-12)


def test_fourier_downsample_is_the_identity_on_the_same_grid_and_scales_constants():
    x = np.random.default_rng(0).standard_normal((6, 7))
    np.testing.assert_allclose(mri.fourier_downsample(x, (6, 7)), x, atol=1e-13)
    np.testing.assert_allclose(mri.fourier_downsample(np.full((12, 8), 0.3), (3, 4)), np.full((3, 4), 0.3), atol=1e-14)
    with pytest.raises(ValueError, match="exceed"):
        mri.fourier_downsample(x, (7, 7))


def test_oversampled_problem_samples_the_kspace_of_the_finer_object(xp):
    """y holds the fine object's own k-space at the mask (not the DFT of a coarse rendering); x* is the
    fully sampled reconstruction, spanning [0, 1]."""
    size, s = 16, 4
    P = mri.mri_problem("shepp_logan", size=size, acceleration=4, rng=3, oversample=s, xp=xp)
    truth = to_numpy(P.image)
    assert truth.min() == pytest.approx(0.0, abs=1e-12) and truth.max() == pytest.approx(1.0, abs=1e-12)
    fine = to_numpy(cst.load_image("shepp_logan", size=size * s))
    band = mri.fourier_downsample(fine, (size, size))
    a = 1.0 / (band.max() - band.min())                 # the affine map of the object
    K = central_kspace(a * (fine - band.min()), (size, size))
    mask = to_numpy(P.operator.mask)
    want = K.reshape(-1)[np.flatnonzero(mask.reshape(-1))]
    np.testing.assert_allclose(to_numpy(P.y), np.concatenate([want.real, want.imag]), atol=1e-12)
    # the same phantom rendered on the coarse grid is NOT what was measured (the inverse crime's data)
    coarse = cst.load_image("shepp_logan", size=size)
    crime = mri.mri_problem(coarse, acceleration=4, rng=3)
    gap = np.linalg.norm(to_numpy(crime.y) - to_numpy(P.y)) / np.linalg.norm(to_numpy(P.y))
    assert gap > 0.05


def test_fully_sampled_reference_vs_the_pixel_average():
    """The docstring's claim: against the phantom averaged over each pixel, even a fully sampled scan scores
    ≈ 20 dB at 64² (Gibbs ringing and the pixel's sinc response), which is why x* is the fully sampled image."""
    fine = to_numpy(cst.load_image("shepp_logan", size=256))
    band = mri.fourier_downsample(fine, (64, 64))
    pixel_average = fine.reshape(64, 4, 64, 4).mean(axis=(1, 3))
    assert 19.0 < mri.psnr(band, pixel_average) < 22.0


def test_oversample_validation():
    with pytest.raises(ValueError, match="divisible"):
        mri.mri_problem(np.random.default_rng(0).random((10, 10)), oversample=4)
    with pytest.raises(ValueError, match="constant"):
        mri.mri_problem(np.ones((8, 8)), oversample=2)
    with pytest.raises(TypeError, match="oversample"):
        mri.mri_problem("shepp_logan", size=8, oversample=2.5)
    # an array on the fine grid works like a name
    P = mri.mri_problem(np.random.default_rng(0).random((16, 12)), oversample=4, acceleration=2, rng=0)
    assert tuple(P.image.shape) == (4, 3)
