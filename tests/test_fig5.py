"""Figure 5 (compressive-sensing MRI): the deep decoder against zero filling and the classical baselines."""
import numpy as np
import pytest

from cstheory.experiments import fig5


@pytest.fixture(scope="module")
def quick4():
    return fig5.run(quick=True, accelerations=(4,))


def test_deep_decoder_beats_zero_filling_on_the_phantom_at_4x(quick4):
    r = quick4
    assert r.psnr["deep-decoder"][4.0] > r.psnr["zero-filled"][4.0] + 3.0
    assert r.ssim["deep-decoder"][4.0] > r.ssim["zero-filled"][4.0]


def test_result_structure_and_early_stopping_bookkeeping(quick4):
    r = quick4
    assert set(r.psnr) == set(r.ssim) == set(fig5.METHODS) == {"zero-filled", "l1-dct", "tv", "deep-decoder"}
    steps = fig5.QUICK["steps"]
    mse = r.mse_curve[4.0]
    assert mse.shape == (steps + 1,) and r.loss_curve[4.0].shape == (steps + 1,)
    assert r.best_iteration[4.0] == int(np.argmin(mse))
    assert r.best_mse[4.0] == mse.min() <= r.final_mse[4.0] == mse[-1]
    # the table's deep-decoder entry is the last iterate: its MSE is final_mse
    dd = r.images["deep-decoder"][4.0]
    assert np.isclose(np.mean((dd - r.truth) ** 2), r.final_mse[4.0], rtol=1e-8)
    assert r.psnr_early_stopped[4.0] >= r.psnr["deep-decoder"][4.0] - 1e-9
    assert r.masks[4.0].mean() == pytest.approx(0.25)
    assert r.config["num_params"] > 2 * r.masks[4.0].sum()          # over-parameterized: N > #measurements
    assert "deep-decoder" in fig5.table(r)


def test_plot_draws_without_computing(quick4, tmp_path):
    path = tmp_path / "fig5.png"
    fig = fig5.plot(quick4, path)
    assert path.stat().st_size > 0
    assert len(fig.axes) >= 2 + len(fig5.METHODS)


def test_runs_on_every_backend(xp):
    r = fig5.run(quick=True, size=16, channels=8, steps=6, baseline_iters=5, accelerations=(4,), xp=xp)
    assert np.isfinite(r.psnr["deep-decoder"][4.0]) and r.mse_curve[4.0].shape == (7,)


def test_validates_arguments():
    with pytest.raises(ValueError, match="settle_fraction"):
        fig5.run(quick=True, settle_fraction=1.0)
    with pytest.raises(ValueError, match="accelerations"):
        fig5.run(quick=True, accelerations=())
    with pytest.raises(TypeError, match="steps"):
        fig5.run(quick=True, steps=1.5)
