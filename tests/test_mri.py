"""Tests of cstheory/mri.py: the subsampled Fourier operator, the k-space masks and the simulated MRI data (Sec. 5)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cstheory as cst
from cstheory import mri
from cstheory._backend import to_numpy
from cstheory.mri import SubsampledFourier, cartesian_mask, centre_mask, kspace_distance, random_mask
from cstheory.operators import operator_norm
from cstheory.testing import assert_adjoint, assert_allclose, on_backend

MASKERS = {"cartesian": cartesian_mask, "random": random_mask}


def dense_reference(shape, mask):
    """[Re; Im] of the rows Ω of the orthonormal 2-D DFT matrix, built from 1-D DFT matrices (host)."""
    h, w = shape
    Fh = np.fft.fft(np.eye(h), norm="ortho")
    Fw = np.fft.fft(np.eye(w), norm="ortho")
    F = np.kron(Fh, Fw)                      # row-major vec: vec(Fh X Fwᵀ) = (Fh ⊗ Fw) vec(X)
    rows = F[np.flatnonzero(np.asarray(mask).reshape(-1))]
    return np.concatenate([rows.real, rows.imag])


# ---------------------------------------------------------------------------
# SubsampledFourier
# ---------------------------------------------------------------------------
@settings(max_examples=15)
@given(h=st.integers(1, 10), w=st.integers(2, 10), acc=st.sampled_from([1.0, 2.0, 3.0]),
       kind=st.sampled_from(sorted(MASKERS)), seed=st.integers(0, 2**16))
def test_adjoint_identity(xp, h, w, acc, kind, seed):
    mask = MASKERS[kind]((h, w), acc, center_fraction=0.3, rng=seed, xp=xp)
    A = SubsampledFourier((h, w), mask)
    rng = np.random.default_rng(seed)
    x = on_backend(rng.standard_normal(h * w), xp)
    r = on_backend(rng.standard_normal(A.shape[0]), xp)
    assert_adjoint(lambda v: A @ v, lambda v: A.T @ v, x, r)


@pytest.mark.parametrize("kind", sorted(MASKERS))
def test_matches_dense_dft_rows(xp, kind):
    shape = (6, 5)
    mask = MASKERS[kind](shape, 2, center_fraction=0.3, rng=3, xp=xp)
    A = SubsampledFourier(shape, mask)
    ref = dense_reference(shape, to_numpy(mask))
    assert_allclose(A.to_dense(), on_backend(ref, xp), rtol=1e-12)
    # the adjoint is the transpose of the same matrix
    assert_allclose(A.T.to_dense(), on_backend(ref.T, xp), rtol=1e-12)


def test_image_and_flat_inputs_agree(xp):
    mask = cartesian_mask((8, 8), 2, rng=0, xp=xp)
    A = SubsampledFourier((8, 8), mask)
    x = on_backend(np.random.default_rng(0).standard_normal((8, 8)), xp)
    assert_allclose(A @ x, A @ xp.reshape(x, (-1,)))
    assert (A.T @ (A @ x)).shape == (64,)


def test_full_mask_is_an_isometry_and_zero_filling_inverts(xp):
    shape = (7, 6)
    mask = on_backend(np.ones(shape, dtype=bool), xp, dtype=xp.bool)
    A = SubsampledFourier(shape, mask)
    x = on_backend(np.random.default_rng(1).random(shape), xp)   # non-negative
    y = A @ x
    assert math.isclose(float(xp.sum(y * y)), float(xp.sum(x * x)), rel_tol=1e-12)     # Parseval
    assert_allclose(xp.reshape(A.T @ y, shape), x)                                    # AᵀA = I
    assert_allclose(A.zero_filled(y), x)                                               # |x| = x
    assert A.acceleration == 1.0


def test_zero_filled_real_part_is_the_adjoint(xp):
    mask = random_mask((8, 10), 3, rng=2, xp=xp)
    A = SubsampledFourier((8, 10), mask)
    y = on_backend(np.random.default_rng(0).standard_normal(A.shape[0]), xp)
    assert_allclose(A.zero_filled(y, part="real"), xp.reshape(A.T @ y, (8, 10)))
    mag = A.zero_filled(y)
    assert bool(xp.all(mag >= xp.abs(A.zero_filled(y, part="real")) - 1e-15))


def test_norm_is_one_with_dc_sampled(xp):
    A = SubsampledFourier((12, 12), cartesian_mask((12, 12), 4, rng=0, xp=xp))
    assert math.isclose(operator_norm(A), 1.0, rel_tol=1e-6)


def test_fit_runs_unchanged_with_fourier_operator(xp):
    """GD with the identity generator is Landweber's iteration; from 0 it tends to the min-norm solution."""
    shape = (6, 6)
    A = SubsampledFourier(shape, random_mask(shape, 2, rng=1, xp=xp))
    x = on_backend(np.random.default_rng(0).random(36), xp)
    y = A @ x
    gen = cst.LinearGenerator(on_backend(np.eye(36), xp))
    res = cst.fit(gen, A, y, steps=200, step_size=1.0, x_true=x)
    assert res.loss[-1] < 1e-20 * max(res.loss[0], 1.0)
    # min-norm solution = pinv(A) y from the dense matrix
    Ad = dense_reference(shape, to_numpy(A.mask))
    x_mn = np.linalg.pinv(Ad) @ to_numpy(y)
    assert_allclose(res.signal, on_backend(x_mn, xp), rtol=1e-8)


def test_operator_validates_arguments():
    mask = cartesian_mask((8, 8), 2, rng=0)
    with pytest.raises(ValueError, match="mask"):
        SubsampledFourier((8, 9), mask)
    with pytest.raises(ValueError, match="samples no"):
        SubsampledFourier((4, 4), np.zeros((4, 4), dtype=bool))
    with pytest.raises(ValueError, match="0 and 1"):
        SubsampledFourier((2, 2), np.full((2, 2), 0.5))
    with pytest.raises(TypeError, match="shape"):
        SubsampledFourier(8, mask)
    A = SubsampledFourier((8, 8), mask)
    with pytest.raises(ValueError, match="x must have shape"):
        A @ np.zeros(63)
    with pytest.raises(ValueError, match="r must have length"):
        A.T @ np.zeros(3)
    with pytest.raises(ValueError, match="part"):
        A.zero_filled(np.zeros(A.shape[0]), part="imag")


# ---------------------------------------------------------------------------
# masks
# ---------------------------------------------------------------------------
@settings(max_examples=20)
@given(w=st.integers(16, 80), h=st.integers(1, 12), acc=st.sampled_from([2, 4, 8]),
       density=st.sampled_from(["variable", "uniform"]), seed=st.integers(0, 2**16))
def test_cartesian_mask_properties(h, w, acc, density, seed):
    m = to_numpy(cartesian_mask((h, w), acc, density=density, rng=seed))
    assert m.dtype == bool and m.shape == (h, w)
    cols = m[0]
    assert np.all(m == cols[None, :])                                 # whole lines
    assert cols.sum() == max(1, round(w / acc))                        # acceleration achieved
    assert abs(w / cols.sum() - acc) <= acc * acc / w + 1e-12          # … up to rounding of w/R
    assert np.all(m[centre_mask((h, w), 0.32 / acc)])                   # centre fully sampled
    assert m[0, 0]                                                     # DC sampled


@settings(max_examples=20)
@given(h=st.integers(8, 40), w=st.integers(8, 40), acc=st.sampled_from([2, 4, 8]),
       density=st.sampled_from(["variable", "uniform"]), seed=st.integers(0, 2**16))
def test_random_mask_properties(h, w, acc, density, seed):
    m = to_numpy(random_mask((h, w), acc, density=density, rng=seed))
    assert m.sum() == round(h * w / acc)
    assert np.all(m[centre_mask((h, w), 0.32 / acc, lines=False)])


@pytest.mark.parametrize("kind", sorted(MASKERS))
def test_same_seed_same_mask_on_every_backend(xp, kind):
    ref = to_numpy(MASKERS[kind]((32, 24), 4, rng=7))
    got = MASKERS[kind]((32, 24), 4, rng=7, xp=xp)
    assert got.dtype == xp.bool
    assert np.array_equal(to_numpy(got), ref)
    other = to_numpy(MASKERS[kind]((32, 24), 4, rng=8))
    assert not np.array_equal(other, ref)


def test_variable_density_prefers_low_frequencies():
    w = 64
    dist = kspace_distance(w)
    inner, outer = dist < w // 8 + 4, dist >= w // 4
    freq_var = np.mean([to_numpy(cartesian_mask((1, w), 8, rng=s))[0] for s in range(200)], axis=0)
    freq_uni = np.mean([to_numpy(cartesian_mask((1, w), 8, density="uniform", rng=s))[0] for s in range(200)], axis=0)
    assert freq_var[inner].mean() > 2 * freq_var[outer].mean()
    assert freq_var[outer].mean() < freq_uni[outer].mean()


def test_kspace_distance():
    assert list(kspace_distance(5)) == [0, 1, 2, 2, 1]
    assert list(kspace_distance(4)) == [0, 1, 2, 1]


@pytest.mark.parametrize("kind", sorted(MASKERS))
def test_masks_validate_arguments(kind):
    make = MASKERS[kind]
    with pytest.raises(ValueError, match="acceleration"):
        make((16, 16), 0.5)
    with pytest.raises(ValueError, match="acceleration"):
        make((16, 16), -2)
    with pytest.raises(TypeError, match="acceleration"):
        make((16, 16), "4")
    with pytest.raises(ValueError, match="center_fraction"):
        make((16, 16), 2, center_fraction=1.5)
    with pytest.raises(ValueError, match="center_fraction"):
        make((16, 16), 8, center_fraction=0.9)
    with pytest.raises(ValueError, match="density"):
        make((16, 16), 2, density="radial")
    with pytest.raises(ValueError, match="shape"):
        make((16,), 2)
    with pytest.raises(ValueError, match="shape"):
        make((16, 0), 2)


# ---------------------------------------------------------------------------
# simulated data and metrics
# ---------------------------------------------------------------------------
def test_simulated_kspace_noise_has_the_stated_snr(xp):
    img = mri.phantom(32, xp=xp)
    mask = random_mask((32, 32), 2, rng=0, xp=xp)
    clean = mri.simulate_kspace(img, mask)
    assert clean.noise_std == 0.0
    assert_allclose(clean.y, clean.operator @ img)
    noisy = mri.simulate_kspace(img, mask, snr_db=20.0, rng=5)
    e = to_numpy(noisy.y - clean.y)
    snr = 10 * np.log10(float(np.sum(to_numpy(clean.y) ** 2)) / np.sum(e**2))
    assert abs(snr - 20.0) < 0.5                                       # 1024 draws: ±0.5 dB
    assert math.isclose(np.std(e), noisy.noise_std, rel_tol=0.1)
    # same seed, same noise on every backend
    ref = mri.simulate_kspace(mri.phantom(32), to_numpy(mask), snr_db=20.0, rng=5)
    assert_allclose(noisy.y, on_backend(to_numpy(ref.y), xp), rtol=1e-12)


def test_mri_problem_and_images(xp):
    P = mri.mri_problem("shepp_logan", size=16, acceleration=4, mask="cartesian", rng=0, xp=xp)
    assert P.image.shape == (16, 16) and P.acceleration == 4.0
    assert float(xp.min(P.image)) == 0.0 and float(xp.max(P.image)) == 1.0
    Q = mri.mri_problem("camera", size=16, acceleration=2, mask="random", snr_db=30, rng=0, xp=xp)
    assert Q.noise_std > 0 and Q.acceleration == 2.0
    assert mri.natural_image(8, xp=xp).shape == (8, 8)
    with pytest.raises(ValueError, match="mask"):
        mri.mri_problem(size=8, mask="spiral")
    with pytest.raises(ValueError, match="natural"):
        mri.natural_image(8, name="shepp_logan")
    with pytest.raises(ValueError, match="snr_db"):
        mri.simulate_kspace(P.image, P.operator.mask, snr_db=float("nan"))


def test_psnr_and_ssim_known_values():
    x = mri.phantom(32)
    xn = to_numpy(x)
    assert mri.psnr(x, x) == float("inf")
    assert math.isclose(mri.ssim(x, x), 1.0)
    # a constant offset δ: MSE = δ², PSNR = 20 log10(range / δ)
    assert math.isclose(mri.psnr(xn + 0.01, xn), 40.0, rel_tol=1e-9)
    noise = np.random.default_rng(0).standard_normal(xn.shape)
    values = [mri.ssim(xn + s * noise, xn) for s in (0.01, 0.05, 0.2)]
    assert values[0] > values[1] > values[2] and values[0] < 1.0
    with pytest.raises(ValueError, match="shape"):
        mri.psnr(np.zeros((4, 4)), xn)


def test_float32_operator_keeps_its_dtype(xp):
    mask = cartesian_mask((8, 6), 2, rng=0, xp=xp)
    A = SubsampledFourier((8, 6), mask, dtype="float32")
    rng = np.random.default_rng(0)
    x = on_backend(rng.standard_normal(48), xp, dtype=xp.float32)
    r = on_backend(rng.standard_normal(A.shape[0]), xp, dtype=xp.float32)
    assert (A @ x).dtype == xp.float32 and (A.T @ r).dtype == xp.float32
    assert_adjoint(lambda v: A @ v, lambda v: A.T @ v, x, r)


def test_the_moved_names_still_import_from_operators_with_a_warning():
    import cstheory.operators as ops
    with pytest.warns(DeprecationWarning, match="moved to cstheory.mri"):
        assert ops.SubsampledFourier is SubsampledFourier
    with pytest.raises(AttributeError):
        ops.no_such_name


# ---------------------------------------------------------------------------
# input contract (issue 14)
# ---------------------------------------------------------------------------
def test_mri_operator_refuses_other_backends_in_every_public_method():
    import array_api_strict as strict

    A = SubsampledFourier((4, 4), cartesian_mask((4, 4), 2, rng=0))
    x = strict.zeros((4, 4), dtype=strict.float64)
    r = strict.zeros(A.shape[0], dtype=strict.float64)
    for call, name in ((lambda: A.kspace(x), "x"), (lambda: A.matvec(x), "x"), (lambda: A.rmatvec(r), "r"),
                       (lambda: A.to_complex(r), "r"), (lambda: A.zero_filled(r), "y")):
        with pytest.raises(TypeError, match=f"{name} is a array_api_strict array"):
            call()
    with pytest.raises(TypeError, match="complex"):
        A.kspace(np.zeros((4, 4), dtype=complex))


@pytest.mark.parametrize("shape, exc", [(8, TypeError), ((8,), ValueError), ((8, 8, 8), ValueError),
                                        ((8, 2.5), TypeError), ((8, -1), ValueError)])
def test_mask_shapes(shape, exc):
    with pytest.raises(exc, match="shape"):
        cartesian_mask(shape, 2)


def test_metrics_refuse_a_constant_ground_truth():
    with pytest.raises(ValueError, match="x_true must not be constant"):
        mri.psnr(np.zeros((4, 4)), np.ones((4, 4)))
    with pytest.raises(ValueError, match="x must have the shape of x_true"):
        mri.ssim(np.zeros((4, 5)), np.eye(4))


def test_simulated_noise_is_scale_safe():
    """The noise level s = ‖A x‖/√(2m) · 10^(−snr/20) is computed without squaring ‖A x‖."""
    img = np.asarray(cst.load_image("shepp_logan", size=8))
    mask = cartesian_mask((8, 8), 2, rng=0)
    p = mri.simulate_kspace(img, mask, snr_db=20, rng=1)
    big = mri.simulate_kspace(1e200 * img, mask, snr_db=20, rng=1)
    assert big.noise_std == pytest.approx(1e200 * p.noise_std, rel=1e-12)
    np.testing.assert_allclose(to_numpy(big.y), 1e200 * to_numpy(p.y), rtol=1e-12)
    with pytest.raises(ValueError, match="snr_db must be finite"):
        mri.simulate_kspace(img, mask, snr_db=float("nan"))
