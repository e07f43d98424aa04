"""Figures 1 and 4 (deep decoder) at reduced sizes: the data and the theory checks, then the plots."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cstheory.experiments import fig1, fig4  # noqa: E402


@pytest.fixture(scope="module")
def small_fig1():
    # 16×16, k = 16: a few seconds; the smooth picture must still beat the texture
    return fig1.run(quick=True, size=16, channels=16, steps=300)


@pytest.fixture(scope="module")
def quick_fig4():
    return fig4.run(quick=True)


def test_fig1_records_loss_and_error_per_iteration(small_fig1):
    r = small_fig1
    assert r.names == ["camera", "grass"] and r.m == 64 and r.operator == "gaussian"
    for name in r.names:
        assert r.loss[name].shape == (301,) and r.error[name].shape == (301,)
        assert r.loss[name][-1] < 1e-2 * r.loss[name][0]
        # error = ‖G(C_T) − x*‖² recomputed from the stored arrays
        np.testing.assert_allclose(r.error[name][-1], np.sum((r.reconstructions[name] - r.images[name]) ** 2),
                                   rtol=1e-10)
        frac = r.spectrum_fraction[name]
        assert frac.shape == (256,) and np.all(np.diff(frac) >= -1e-15) and abs(frac[-1] - 1) < 1e-12


def test_fig1_smooth_image_is_recovered_better(small_fig1):
    r = small_fig1
    assert r.low_frequency_energy["camera"] > r.low_frequency_energy["grass"]
    assert r.relative_error["camera"] < 0.5 * r.relative_error["grass"]
    assert all(c.passed for c in fig1.checks(r)), fig1.checks(r)


def test_fig1_dct_operator_and_plot(small_fig1, tmp_path):
    r = fig1.run(quick=True, images=("moon",), size=16, channels=8, steps=20, operator="dct")
    assert r.operator == "dct" and r.loss["moon"][-1] < r.loss["moon"][0]
    path = tmp_path / "fig1.png"
    fig = fig1.plot(small_fig1, path=str(path))
    assert path.stat().st_size > 0 and len(fig.axes) >= 4


def test_fig1_bad_arguments():
    with pytest.raises(ValueError, match="operator"):
        fig1.run(quick=True, size=8, steps=1, operator="fourier")
    with pytest.raises(ValueError, match="settle_fraction"):
        fig1.run(quick=True, size=8, steps=1, settle_fraction=1.0)


def test_fig4_spectrum_at_each_snapshot(quick_fig4):
    r = quick_fig4
    assert r.iterations == [1, 20, 400] and len(r.singular_values) == 3
    for s in r.singular_values:
        assert s.shape == (r.n,) and np.all(np.diff(s) <= 1e-12 * s[0])
    assert all(c.passed for c in fig4.checks(r)), fig4.checks(r)


def test_fig4_snapshot_is_the_exact_jacobian_spectrum():
    """The iteration-0 snapshot equals the SVD of the Jacobian at θ₀ recomputed independently."""
    import cstheory as cst
    r = fig4.run(quick=True, n=32, channels=8, iterations=(0,))
    gen = cst.DeepDecoder((32,), channels=8, layers=4, output="fixed", rng=0)
    s = np.linalg.svd(np.asarray(gen.jacobian(gen.init(rng=0))), compute_uv=False)
    np.testing.assert_allclose(r.singular_values[0], s, rtol=1e-10, atol=1e-12 * s[0])


def test_fig4_plot(quick_fig4, tmp_path):
    path = tmp_path / "fig4.png"
    fig = fig4.plot(quick_fig4, path=str(path))
    assert path.stat().st_size > 0
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
