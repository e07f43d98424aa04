"""Tests of cstheory/mri/ (masks, operator, data, metrics): the subsampled Fourier operator, the k-space masks and the simulated MRI data (Sec. 5)."""
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


def test_the_mri_names_live_in_mri_only():
    """The names that moved to cstheory.mri are no longer importable from cstheory.operators (CHANGELOG.md)."""
    import cstheory.operators as ops
    import cstheory.mri.operator
    assert SubsampledFourier.__module__ == "cstheory.mri.operator" and cstheory.mri.operator.SubsampledFourier is SubsampledFourier
    for name in ("SubsampledFourier", "cartesian_mask", "random_mask", "centre_mask", "kspace_distance",
                 "MASK_DENSITIES"):
        assert not hasattr(ops, name), name


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


# ---------------------------------------------------------------------------
# the contract in detail (mutation testing, tests/MUTATION.md)
# ---------------------------------------------------------------------------
class Spy(np.random.Generator):
    """A numpy Generator that records each ``choice`` call: the candidates, the size, and the probabilities."""

    def __init__(self, seed):
        super().__init__(np.random.PCG64(seed))
        self.calls = []

    def choice(self, a, size=None, replace=True, p=None, **kw):
        self.calls.append((np.array(a), size, None if p is None else np.array(p)))
        return super().choice(a, size=size, replace=replace, p=p, **kw)


def _xs():
    import array_api_strict as xs
    return xs, xs.Device("device1")


def _cartesian_weights(w, cols, decay):
    return (1.0 - kspace_distance(w)[cols] / (w / 2.0 + 1.0)) ** decay


def _radial_weights(h, w, flat, decay):
    ry = kspace_distance(h)[:, None] / (h / 2.0 + 1.0)
    rx = kspace_distance(w)[None, :] / (w / 2.0 + 1.0)
    return (1.0 - np.sqrt(ry**2 + rx**2).reshape(-1)[flat] / math.sqrt(2.0)) ** decay


@pytest.mark.parametrize("decay", [2.0, 1.0, 0.5, 0.0])
def test_cartesian_mask_draws_lines_with_the_documented_probabilities(decay):
    """The non-centre columns are drawn without replacement, p ∝ (1 − |k|/(w/2 + 1))^decay (uniform for decay 0
    or density="uniform"); the mask is the centre plus the drawn columns.

    kills mutants: x_cartesian_mask__mutmut_55, 66, 67, 68; x__density_weights__mutmut_1, 3."""
    h, w = 3, 20
    for density in ("variable", "uniform"):
        spy = Spy(4)
        mask = to_numpy(cartesian_mask((h, w), 4, center_fraction=0.1, density=density, decay=decay, rng=spy))
        (cols, size, p), = spy.calls
        assert size == 5 - 2 and 0 not in cols and 1 not in cols         # 5 lines, the 2 centre ones kept
        want = _cartesian_weights(w, cols, decay) if density == "variable" else np.ones(cols.size)
        np.testing.assert_allclose(p, want / want.sum(), rtol=1e-13)
        assert mask.all(axis=0).sum() == 5 and mask[:, :2].all()


@pytest.mark.parametrize("density, decay", [("variable", 2.0), ("variable", 1.0), ("uniform", 2.0),
                                            ("variable", 0.0)])
def test_random_mask_draws_points_with_the_documented_probabilities(density, decay):
    """p ∝ (1 − r)^decay with r = ‖(k_y/(h/2+1), k_x/(w/2+1))‖/√2 (uniform for density="uniform" or decay 0),
    over the locations outside the centre block.

    kills mutants: x_random_mask__mutmut_73 … 78, 82 … 104, 117, 121."""
    h, w = 6, 10
    spy = Spy(2)
    mask = to_numpy(random_mask((h, w), 3, center_fraction=0.2, density=density, decay=decay, rng=spy))
    (flat, size, p), = spy.calls
    assert size == 20 - 2                                     # 60/3 locations, a 1×2 centre (0.2·6, 0.2·10)
    want = _radial_weights(h, w, flat, decay) if density == "variable" and decay else np.ones(flat.size)
    np.testing.assert_allclose(p, want / want.sum(), rtol=1e-13)
    assert mask.sum() == 20 and mask[0, :2].all() and not np.isin(flat, [0, 1]).any()


def test_mask_defaults_and_tiny_budgets():
    """decay = 2 and rng = 0 by default; one line (or point) when the budget rounds to one; the centre has one
    line when center_fraction·w rounds to 0.

    kills mutants: x_cartesian_mask__mutmut_3, 4, 29, 38; x_random_mask__mutmut_3, 4, 29."""
    for make in (cartesian_mask, random_mask):
        ref = to_numpy(make((12, 24), 4))
        np.testing.assert_array_equal(ref, to_numpy(make((12, 24), 4, decay=2.0, rng=0)))
        assert not np.array_equal(ref, to_numpy(make((12, 24), 4, decay=3.0, rng=0)))
        assert not np.array_equal(ref, to_numpy(make((12, 24), 4, decay=2.0, rng=1)))
    assert to_numpy(cartesian_mask((3, 4), 4)).all(axis=0).sum() == 1
    assert to_numpy(random_mask((2, 2), 4)).sum() == 1
    spy = Spy(0)
    cartesian_mask((4, 16), 4, center_fraction=0.01, rng=spy)
    assert spy.calls[0][1] == 3                               # 4 lines: 1 centre line and 3 drawn


def test_masks_validate_everything_before_drawing(monkeypatch):
    """A bad xp is refused before the random draw; the memory guard names the function and the shape.

    kills mutants: x__mask_setup__mutmut_14, 16, 21, 22; x_cartesian_mask__mutmut_12, 13, 22, 23;
    x_random_mask__mutmut_12, 13, 22, 23."""
    for make, name in ((cartesian_mask, "cartesian_mask"), (random_mask, "random_mask")):
        spy = Spy(0)
        with pytest.raises((TypeError, ValueError), match="xp"):
            make((8, 8), 2, rng=spy, xp="no_such_backend")
        assert spy.calls == []
        monkeypatch.setenv("CSTHEORY_MAX_BYTES", str(20 * 100 * 100))
        with pytest.raises(ValueError, match=rf"^{name}\(shape=\(100, 100\)\): the mask and its weights needs"):
            make((100, 100), 2)
        monkeypatch.delenv("CSTHEORY_MAX_BYTES")


def test_mask_arguments_are_named_and_bounded():
    """center_fraction ∈ (0, 1] (1 allowed), decay ≥ 0 (0 allowed), acceleration > 0, density by name.

    kills mutants: x__mask_args__mutmut_6, 18 … 30, 37, 41 … 48."""
    for make in (cartesian_mask, random_mask):
        assert to_numpy(make((4, 4), 1, center_fraction=1.0)).all()
        assert to_numpy(make((8, 8), 2, decay=0.0)).sum() == (8 if make is random_mask else 32) * (
            4 if make is random_mask else 1)
        with pytest.raises(ValueError, match=r"^center_fraction must lie in \(0, 1\], got 0$"):
            make((8, 8), 2, center_fraction=0.0)
        with pytest.raises(ValueError, match=r"^center_fraction must lie in \(0, 1\], got 1\.5$"):
            make((8, 8), 2, center_fraction=1.5)
        with pytest.raises(ValueError, match=r"^decay must be >= 0"):
            make((8, 8), 2, decay=-1.0)
        with pytest.raises(ValueError, match=r"^acceleration must be > 0"):
            make((8, 8), -2)
        with pytest.raises(ValueError, match=r"^density must be one of"):
            make((8, 8), 2, density="radial")


def test_masks_and_operator_on_another_device():
    """Masks, the operator's index arrays and every product live on the requested device.

    kills mutants: x_cartesian_mask__mutmut_97; x_random_mask__mutmut_134; x__mask_to__mutmut_3, 10, 13;
    xǁSubsampledFourierǁ__init____mutmut_43, 44, 49, 52, 85, 93, 97, 103, 107;
    xǁSubsampledFourierǁto_complex__mutmut_30, 36, 39, 42; xǁSubsampledFourierǁzero_filled_kspace__mutmut_13, 16."""
    xs, dev = _xs()
    for make in (cartesian_mask, random_mask):
        m = make((6, 8), 2, rng=1, xp=xs, device=dev)
        assert m.device == dev and m.dtype == xs.bool
        np.testing.assert_array_equal(to_numpy(xs.asarray(m, device=xs.Device("CPU_DEVICE"))),
                                      to_numpy(make((6, 8), 2, rng=1)))
    m = cartesian_mask((6, 8), 2, rng=1, xp=xs, device=dev)
    for A in (SubsampledFourier((6, 8), m), SubsampledFourier((6, 8), to_numpy(m), xp=xs, device=dev)):
        assert A.device == dev and A.mask.device == dev and A.xp is xs
        x = xs.asarray(np.arange(48.0), device=dev)
        r = xs.asarray(np.arange(float(A.shape[0])), device=dev)
        for out in (A @ x, A.T @ r, A.zero_filled(r), A.zero_filled_kspace(r)):
            assert out.device == dev
        host = SubsampledFourier((6, 8), to_numpy(m))
        cpu = xs.Device("CPU_DEVICE")
        assert_allclose(to_numpy(xs.asarray(A.T @ r, device=cpu)), host.T @ np.arange(float(A.shape[0])),
                        rtol=1e-13, atol=1e-13)


def test_operator_with_a_given_namespace_and_no_device():
    """SubsampledFourier(…, xp=…) builds on that namespace (mask of another one copied over), with the real
    adjoint Aᵀ r = Re(F^H P_Ωᵀ (r_re + i r_im)) in the operator's dtype.

    kills mutants: xǁSubsampledFourierǁ__init____mutmut_20, 22; xǁSubsampledFourierǁto_complex__mutmut_31 … 35."""
    xs, _ = _xs()
    mask = cartesian_mask((6, 8), 2, rng=0)
    for dtype in ("float64", "float32"):
        A = SubsampledFourier((6, 8), mask, xp="array_api_strict", dtype=dtype)
        assert A.xp is xs
        ref = SubsampledFourier((6, 8), mask)
        r = np.random.default_rng(0).standard_normal(A.shape[0])
        out = A.T @ xs.asarray(r, dtype=A.dtype)
        assert out.dtype == A.dtype
        assert_allclose(out, ref.T @ r, rtol=1e-5 if dtype == "float32" else 1e-13, atol=1e-6)


def test_operator_mask_validation_messages():
    """An integer 0/1 mask is accepted (the same operator as the boolean one); other values, 3-D masks and empty
    masks are refused by name.

    kills mutants: xǁSubsampledFourierǁ__init____mutmut_4, 5, 9, 11, 12, 29, 30, 32, 34, 36, 38, 62, 63."""
    mask = cartesian_mask((6, 8), 2, rng=0)
    A = SubsampledFourier((6, 8), mask)
    for as_int in (mask.astype(np.int64), mask.astype(np.float64)):
        B = SubsampledFourier((6, 8), as_int)
        np.testing.assert_array_equal(to_numpy(B.mask), mask)
        np.testing.assert_array_equal(B @ np.arange(48.0), A @ np.arange(48.0))
    with pytest.raises(ValueError, match=r"^mask must be boolean or hold only 0 and 1$"):
        SubsampledFourier((6, 8), 2 * mask.astype(np.int64))
    with pytest.raises(ValueError, match=r"^mask must be 2-D"):
        SubsampledFourier((6, 8), mask[None])
    with pytest.raises(TypeError, match=r"^mask must be an array"):
        SubsampledFourier((6, 8), mask.tolist())
    with pytest.raises(ValueError, match=r"^mask samples no k-space location; at least one entry must be True$"):
        SubsampledFourier((6, 8), np.zeros((6, 8), dtype=bool))
    with pytest.raises(TypeError, match=r"^shape must"):
        SubsampledFourier(8, mask)


def test_operator_input_messages_and_nan():
    """x of 1 or 2 dimensions and the image's size, r of length 2m and 1-D, y 1-D, part by name; NaN is not
    scanned for (it propagates).

    kills mutants: xǁSubsampledFourierǁ_check_image__mutmut_9, 10, 14, 15, 18, 23;
    xǁSubsampledFourierǁto_complex__mutmut_10, 11, 15, 16, 18, 24, 25;
    xǁSubsampledFourierǁzero_filled__mutmut_14, 17, 22, 23."""
    A = SubsampledFourier((6, 8), cartesian_mask((6, 8), 2, rng=0))
    m2 = A.shape[0]
    with pytest.raises(ValueError, match=r"^x must have shape \(48,\) or \(6, 8\), got \(47,\)$"):
        A @ np.zeros(47)
    with pytest.raises(ValueError, match=r"^x must be 1-D or 2-D"):
        A @ np.zeros((1, 6, 8))
    with pytest.raises(ValueError, match=rf"^r must have length 2m = {m2}, got 3$"):
        A.T @ np.zeros(3)
    with pytest.raises(ValueError, match=r"^r must be 1-D"):
        A.to_complex(np.zeros((m2, 1)))
    with pytest.raises(ValueError, match=r"^part must be one of"):
        A.zero_filled(np.zeros(m2), part="imag")
    with pytest.raises(TypeError, match=r"^y must be an array"):
        A.zero_filled([0.0] * m2)
    assert np.isnan(A @ np.full(48, np.nan)).any()
    assert np.isnan(A.T @ np.full(m2, np.nan)).any()


def test_centre_mask_is_the_documented_centre(monkeypatch):
    """Lines by default: the round(f·w) lowest column frequencies 0, 1, w−1, 2, … in that order of preference
    (also for w ≥ 16, where a non-stable sort would break the ties otherwise); lines=False a block.

    kills mutants: x_centre_mask__mutmut_1, 6 … 9, 12 … 16, 18 … 20, 22, 25, 26, 28, 33, 34, 35, 49, 50, 52, 61,
    62, 69; x__centre_first__mutmut_2, 4."""
    np.testing.assert_array_equal(np.flatnonzero(centre_mask((4, 40), 0.125)[0]), [0, 1, 2, 38, 39])
    assert centre_mask((4, 40), 0.125).all(axis=0).sum() == 5            # whole columns
    assert np.flatnonzero(centre_mask((4, 40), 0.05)[0]).tolist() == [0, 1]
    # 0, 1, 15, 2, 14, 3: ties between j and s − j go to the lower j first
    assert np.flatnonzero(centre_mask((4, 16), 6 / 16)[0]).tolist() == [0, 1, 2, 3, 14, 15]
    block = centre_mask((20, 40), 0.1, lines=False)
    rows, cols = np.nonzero(block)
    assert set(rows.tolist()) == {0, 1} and set(cols.tolist()) == {0, 1, 39, 2} and block.sum() == 8
    assert centre_mask((4, 8), 1.0).all()
    with pytest.raises(ValueError, match=r"^center_fraction must lie in \(0, 1\], got 0$"):
        centre_mask((4, 8), 0.0)
    with pytest.raises(ValueError, match=r"^center_fraction must lie in \(0, 1\], got 1\.5$"):
        centre_mask((4, 8), 1.5)
    with pytest.raises(TypeError, match=r"^lines must be True or False"):
        centre_mask((4, 8), 0.5, lines=1)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", str(int(1.5 * 100 * 100)))      # a bool mask: 1 byte per entry
    assert centre_mask((100, 100), 0.1).shape == (100, 100)
    with pytest.raises(ValueError, match=r"^centre_mask\(shape=\(200, 100\)\) needs"):
        centre_mask((200, 100), 0.1)


def test_kspace_distance_names_its_argument(monkeypatch):
    """kills mutants: x_kspace_distance__mutmut_3, 6, 7, 9, 12."""
    with pytest.raises(ValueError, match=r"^s must be an integer >= 1"):
        kspace_distance(0)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "1000")
    with pytest.raises(ValueError, match=r"^kspace_distance\(s=100\) needs"):
        kspace_distance(100)


def test_simulate_kspace_noise_is_the_documented_draw():
    """y = A x* + s·g with g the standard normal draw of rng (default 0), s = ‖A x*‖/√(2m) · 10^(−snr/20), in the
    image's dtype; snr_db is kept.

    kills mutants: x_simulate_kspace__mutmut_1, 36, 45, 50, 77, 80, 84, 90."""
    img = np.asarray(cst.load_image("shepp_logan", size=8))
    mask = cartesian_mask((8, 8), 2, rng=0)
    for seed in (0, 5):
        P = mri.simulate_kspace(img, mask, snr_db=20.0, rng=seed)
        clean = P.operator @ img
        s = np.linalg.norm(clean) / math.sqrt(clean.size) * 10 ** (-1.0)
        assert P.noise_std == pytest.approx(s, rel=1e-13) and P.snr_db == 20.0
        g = np.random.default_rng(seed).standard_normal(clean.size)
        np.testing.assert_allclose(P.y, clean + s * g, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(mri.simulate_kspace(img, mask, snr_db=20.0).y,
                                  mri.simulate_kspace(img, mask, snr_db=20.0, rng=0).y)
    P32 = mri.simulate_kspace(img.astype(np.float32), mask, snr_db=20.0)
    assert P32.operator.dtype == np.float32 and P32.y.dtype == np.float32


def test_simulate_kspace_on_another_device_and_its_checks():
    """kills mutants: x_simulate_kspace__mutmut_3, 4, 7, 8, 9, 12, 13, 17, 19, 20, 24 … 27, 39, 46, 51, 81, 85."""
    xs, dev = _xs()
    img = xs.asarray(np.asarray(cst.load_image("shepp_logan", size=8)), device=dev)
    mask = cartesian_mask((8, 8), 2, rng=0, xp=xs, device=dev)
    P = mri.simulate_kspace(img, mask, snr_db=20.0, rng=1)
    assert P.y.device == dev and P.operator.device == dev
    with pytest.raises(TypeError, match=r"^mask is an array of numpy but image is an array of array_api_strict"):
        mri.simulate_kspace(xs.asarray(np.ones((8, 8))), to_numpy(mask))
    with pytest.raises(ValueError, match=r"^image must be 2-D"):
        mri.simulate_kspace(np.ones(64), np.ones(64, dtype=bool))
    with pytest.raises(ValueError, match=r"^mask must be 2-D"):
        mri.simulate_kspace(np.ones((8, 8)), np.ones((1, 8, 8), dtype=bool), snr_db="loud")


def test_images_follow_size_dtype_and_device():
    """phantom and natural_image: size 64 by default, in the requested dtype and on the requested device; a
    name that is not a natural image is refused by name, listing only natural images.

    kills mutants: x_phantom__mutmut_1, 5, 6, 10, 11; x_natural_image__mutmut_1, 8, 12, 18 … 21, 24 … 31."""
    xs, dev = _xs()
    assert mri.phantom().shape == (64, 64) and mri.natural_image().shape == (64, 64)
    for make in (mri.phantom, mri.natural_image):
        x = make(8, xp=xs, dtype="float32", device=dev)
        assert (x.dtype, x.device, tuple(x.shape)) == (xs.float32, dev, (8, 8))
    with pytest.raises(ValueError, match=r"^name must be a natural image \(e\.g\. 'camera'\); use phantom\(\)"):
        mri.natural_image(8, name="shepp_logan")
    with pytest.raises(ValueError, match=r"^name must be one of") as info:
        mri.natural_image(8, name="nothing")
    assert "shepp_logan" not in str(info.value)


def test_metrics_against_their_definitions():
    """PSNR = 10 log10(range(x*)²/MSE) with the ground truth's range (not 1, also away from 0), inf without a
    warning for x = x*; SSIM with a 7×7 window (odd, shrunk to the image: 5 for a 6×6 image), flat x accepted.

    kills mutants: x_psnr__mutmut_10, 11, 20, 23, 25; x_ssim__mutmut_12, 16, 20, 25, 29, 31; x__pair__mutmut_9, 44."""
    import warnings
    from skimage.metrics import structural_similarity
    rng = np.random.default_rng(0)
    b = 3.0 + 2.0 * rng.random((12, 12))
    a = b + 0.01 * rng.standard_normal(b.shape)
    mse = np.mean((a - b) ** 2)
    assert mri.psnr(a, b) == pytest.approx(10 * np.log10((b.max() - b.min()) ** 2 / mse), rel=1e-12)
    assert mri.psnr(a.reshape(-1), b) == mri.psnr(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mri.psnr(b, b) == float("inf")
    rng_ = float(b.max() - b.min())
    assert mri.ssim(a, b) == pytest.approx(structural_similarity(b, a, data_range=rng_, win_size=7), rel=1e-12)
    assert mri.ssim(a.reshape(-1), b) == mri.ssim(a, b)
    small, noisy = b[:6, :6], a[:6, :6]
    assert mri.ssim(noisy, small) == pytest.approx(
        structural_similarity(small, noisy, data_range=float(small.max() - small.min()), win_size=5), rel=1e-12)


def test_metrics_check_their_arguments_by_name():
    """kills mutants: x__pair__mutmut_2, 3, 6, 7, 8, 12, 13, 16, 17, 18, 20 … 23, 36, 39, 40; x_psnr__mutmut_4, 8, 9;
    x_ssim__mutmut_4, 8, 9."""
    xs, _ = _xs()
    b = np.random.default_rng(0).random((4, 6))
    for metric, name in ((mri.psnr, "psnr"), (mri.ssim, "ssim")):
        with pytest.raises(ValueError, match=rf"^{name}: x must have the shape of x_true \(4, 6\) \(or be its "
                                             r"flattening\), got \(6, 4\)$"):
            metric(b.T.copy(), b)
        with pytest.raises(ValueError, match=rf"^{name}: x must have the shape of x_true"):
            metric(np.zeros(23), b)
        with pytest.raises(ValueError, match=r"^x must be 1-D or 2-D"):
            metric(b[None], b)
        with pytest.raises(ValueError, match=r"^x_true must be 2-D"):
            metric(b.reshape(-1), b.reshape(-1))
        with pytest.raises(TypeError, match=r"^x_true must be an array"):
            metric(b, b.tolist())
        with pytest.raises(TypeError, match=r"^x_true is an array of numpy but x is an array of array_api_strict"):
            metric(xs.asarray(b), b)


def test_fourier_downsample_works_in_float64_and_names_bad_sizes():
    """kills mutants: x_fourier_downsample__mutmut_3, 5, 8, 11, 12."""
    fine = np.random.default_rng(0).standard_normal((8, 12))
    out = mri.fourier_downsample(fine.astype(np.float32), (4, 6))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, mri.fourier_downsample(fine.astype(np.float32).astype(np.float64), (4, 6)),
                               rtol=1e-13, atol=1e-14)
    with pytest.raises(ValueError, match=r"^shape must be an integer >= 1"):
        mri.fourier_downsample(fine, (0, 6))


def test_mri_problem_defaults_and_the_shared_generator():
    """Defaults: the 64×64 phantom, 4× Cartesian, rng 0.  One host generator draws the mask, then the noise.

    kills mutants: x_mri_problem__mutmut_1, 2, 3, 4, 7, 17, 18, 163 … 167, 171, 172, 177, 178, 187, 191."""
    P = mri.mri_problem()
    Q = mri.mri_problem("shepp_logan", size=64, acceleration=4, mask="cartesian", rng=0)
    assert P.image.shape == (64, 64) and P.acceleration == 4.0
    np.testing.assert_array_equal(to_numpy(P.operator.mask), to_numpy(Q.operator.mask))
    img = np.asarray(cst.load_image("shepp_logan", size=16))
    for kind, make in MASKERS.items():
        g = np.random.default_rng(5)
        mask = make((16, 16), 8, center_fraction=0.1, rng=g)
        want = mri.simulate_kspace(img, mask, snr_db=25.0, rng=g)
        got = mri.mri_problem("shepp_logan", size=16, acceleration=8, mask=kind, center_fraction=0.1, snr_db=25.0,
                              rng=5)
        np.testing.assert_array_equal(to_numpy(got.operator.mask), to_numpy(mask))
        np.testing.assert_array_equal(got.y, want.y)


def test_mri_problem_oversampled_passes_every_setting_on():
    """With oversample > 1 the reference is built in the requested namespace, dtype and device, of the requested
    size, and the recursion keeps the mask kind, acceleration, centre, noise and seed.

    kills mutants: x_mri_problem__mutmut_72, 119 … 125, 133 … 141, 146, 147, 151, 152."""
    xs, dev = _xs()
    P = mri.mri_problem("shepp_logan", size=8, acceleration=2, mask="random", center_fraction=0.3, snr_db=15.0,
                        rng=3, oversample=2, xp=xs, dtype="float32", device=dev)
    assert (P.image.dtype, P.image.device, tuple(P.image.shape)) == (xs.float32, dev, (8, 8))
    assert P.snr_db == 15.0 and P.noise_std > 0 and P.acceleration == 2.0
    cpu = xs.Device("CPU_DEVICE")
    ref = to_numpy(xs.asarray(P.image, device=cpu))
    g = np.random.default_rng(3)
    mask = random_mask((8, 8), 2, center_fraction=0.3, rng=g)
    np.testing.assert_array_equal(to_numpy(xs.asarray(P.operator.mask, device=cpu)), to_numpy(mask))
    want = mri.simulate_kspace(ref, mask, snr_db=15.0, rng=g)
    np.testing.assert_allclose(to_numpy(xs.asarray(P.y, device=cpu)), want.y, rtol=1e-6, atol=1e-6)
    S = mri.mri_problem("shepp_logan", size=8, xp=xs, dtype="float32", device=dev)
    assert (S.image.dtype, S.image.device) == (xs.float32, dev)


def test_mri_problem_checks_every_argument_before_loading_anything():
    """Each bad argument is named before the picture is rendered (a bad image name would be reported otherwise);
    acceleration 1.5 and center_fraction 1 are fine; the fine-grid image must be 2-D, with both sides divisible.

    kills mutants: x_mri_problem__mutmut_15, 20, 21, 24 … 27, 29 … 43, 46, 49, 50, 56, 62, 65, 66, 81, 82, 85, 86, 87,
    89, 91, 111, 154, 155, 158, 159, 160."""
    bad = dict(image="no_such_picture", oversample=2)
    for kw, pattern in ((dict(acceleration=0.5), r"^acceleration must be >= 1, got 0\.5$"),
                        (dict(center_fraction=0.0), r"^center_fraction must lie in \(0, 1\], got 0$"),
                        (dict(center_fraction=1.5), r"^center_fraction must lie in \(0, 1\], got 1\.5$"),
                        (dict(snr_db="loud"), r"^snr_db must be a real number"),
                        (dict(mask="spiral"), r"^mask must be one of"),
                        (dict(size=0), r"^size must be an integer >= 1")):
        with pytest.raises((TypeError, ValueError), match=pattern):
            mri.mri_problem(**bad, **kw)
    with pytest.raises(ValueError, match=r"^oversample must be an integer >= 1"):
        mri.mri_problem(oversample=0)
    assert mri.mri_problem(size=8, acceleration=1.5).image.shape == (8, 8)
    assert mri.mri_problem(size=8, acceleration=1, center_fraction=1.0).acceleration == 1.0
    for shape in ((8, 9), (9, 8)):
        with pytest.raises(ValueError, match=r"must be divisible by oversample=2"):
            mri.mri_problem(np.random.default_rng(0).random(shape), oversample=2)
    for over in (1, 2):
        with pytest.raises(ValueError, match=r"^image must be 2-D"):
            mri.mri_problem(np.ones(64), oversample=over)
    with pytest.raises(ValueError, match=r"^image is constant: nothing to reconstruct$"):
        mri.mri_problem(np.ones((8, 8)), oversample=2)


def test_mri_problem_reference_of_a_float32_image_is_computed_in_float64():
    """The oversampled reference of a float32 fine image equals that of its float64 copy (the simulation runs
    in float64 on the host).

    kills mutants: x_mri_problem__mutmut_76, 78."""
    fine = np.random.default_rng(0).random((16, 16))
    a = mri.mri_problem(fine.astype(np.float32), oversample=2, acceleration=2)
    b = mri.mri_problem(fine.astype(np.float32).astype(np.float64), oversample=2, acceleration=2)
    np.testing.assert_allclose(a.image, b.image, rtol=1e-13, atol=1e-13)


def test_metrics_of_float32_images_are_computed_in_float64():
    """PSNR and SSIM of float32 images equal those of their float64 copies (the metrics run in float64).

    kills mutants: x__pair__mutmut_26, 28, 32, 34."""
    rng = np.random.default_rng(1)
    b = rng.random((16, 16)).astype(np.float32)
    a = (b + 0.003 * rng.standard_normal(b.shape)).astype(np.float32)
    for metric in (mri.psnr, mri.ssim):
        assert metric(a, b) == pytest.approx(metric(a.astype(np.float64), b.astype(np.float64)), rel=1e-12, abs=0)


# ---------------------------------------------------------------------------
# mutation testing of mri.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
def test_kspace_distance_and_mask_memory_estimates_are_exact(monkeypatch):
    """kspace_distance(s) asks for 3 host arrays of s int64 (24 s bytes), a mask of shape (h, w) for 40 bytes
    per entry (the mask and its weights): exactly that many bytes pass, one byte less is refused, and the message
    states the bytes.

    kills mutants: x_kspace_distance__mutmut_14, x__mask_setup__mutmut_23."""
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "2400")
    np.testing.assert_array_equal(kspace_distance(100)[[0, 1, 50, 99]], [0, 1, 50, 1])
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "2399")
    with pytest.raises(ValueError, match=r"^kspace_distance\(s=100\) needs 2400 bytes \(2\.34 KiB\), more than"):
        kspace_distance(100)
    for make, name in ((cartesian_mask, "cartesian_mask"), (random_mask, "random_mask")):
        monkeypatch.setenv("CSTHEORY_MAX_BYTES", "4000")
        assert make((10, 10), 2, rng=0).shape == (10, 10)
        monkeypatch.setenv("CSTHEORY_MAX_BYTES", "3999")
        with pytest.raises(ValueError, match=rf"^{name}\(shape=\(10, 10\)\): the mask and its weights needs 4000 "
                                             r"bytes \(3\.91 KiB\), more than the limit of 3\.91 KiB"):
            make((10, 10), 2, rng=0)


def test_fourier_downsample_checks_fine_and_shape_by_name_and_takes_any_backend():
    """fine must be a 2-D real array (named "fine"), of any backend (the result is the same float64 host array);
    shape a pair no larger than fine's, both named in the message.

    kills mutants: x_fourier_downsample__mutmut_2, 3, 6, 7, 8."""
    import array_api_strict as xs
    fine = np.random.default_rng(2).standard_normal((8, 10))
    out = mri.fourier_downsample(fine, (4, 5))
    strict = mri.fourier_downsample(xs.asarray(fine), (4, 5))
    assert type(strict) is np.ndarray and strict.dtype == np.float64
    np.testing.assert_array_equal(strict, out)
    with pytest.raises(ValueError, match=r"^fine must be 2-D, got shape \(2, 4, 5\)$"):
        mri.fourier_downsample(np.zeros((2, 4, 5)), (2, 2))
    with pytest.raises(ValueError, match=r"^fine must be 2-D, got shape \(40,\)$"):
        mri.fourier_downsample(np.zeros(40), (2, 2))
    with pytest.raises(TypeError, match=r"^fine must be an array, got list"):
        mri.fourier_downsample(fine.tolist(), (4, 5))
    with pytest.raises(TypeError, match=r"^shape must be a tuple of 2 entries \(e\.g\. \(h, w\)\), got the int 4$"):
        mri.fourier_downsample(fine, 4)
    with pytest.raises(ValueError, match=r"^shape \(9, 10\) must not exceed the fine image's \(8, 10\)$"):
        mri.fourier_downsample(fine, (9, 10))
    with pytest.raises(ValueError, match=r"^shape \(8, 11\) must not exceed the fine image's \(8, 10\)$"):
        mri.fourier_downsample(fine, (8, 11))


@pytest.mark.parametrize("make", ["cartesian", "random"])
@pytest.mark.parametrize("decay", [1e4, 1e300])
def test_steep_decay_keeps_the_lines_nearest_the_centre(make, decay):
    """A steep density (1 − r)^decay underflows in the linear domain (NumPy's "probabilities contain NaN"):
    computed in the log domain it gives a valid mask that favours the lowest frequencies."""
    func = cst.cartesian_mask if make == "cartesian" else cst.random_mask
    mask = cst.to_numpy(func((32, 32), 4, decay=decay, rng=0))
    assert int(mask.sum()) == 256
    if make == "cartesian" and decay == 1e4:
        cols = np.flatnonzero(mask[0])
        dist = np.minimum(cols, 32 - cols)
        assert dist.max() <= 4              # the 8 lines of least |k|: 0, ±1, ±2, ±3 and one of ±4
    shallow = cst.to_numpy(func((32, 32), 4, decay=2.0, rng=0))
    freq = np.minimum(np.arange(32), 32 - np.arange(32))
    radius = np.hypot(freq[:, None], freq[None, :])
    assert radius[mask].mean() <= radius[shallow].mean()
