"""Figure 5 (compressive-sensing MRI): the deep decoder against zero filling and baselines at their best."""
import copy

import numpy as np
import pytest

from cstheory import baselines
from cstheory.experiments import fig5


@pytest.fixture(scope="module")
def quick4():
    return fig5.run(quick=True)


def test_quick_mode_is_4x_only_and_without_the_inverse_crime(quick4):
    r = quick4
    assert r.accelerations == (4.0,) and r.config["oversample"] == 4
    assert r.truth.min() == pytest.approx(0.0, abs=1e-12) and r.truth.max() == pytest.approx(1.0, abs=1e-12)


def test_repr_shows_sizes_and_tables_not_images(quick4):
    text = repr(quick4)
    assert text.startswith("Fig5Result(\n    image_name='shepp_logan',") and len(text.splitlines()) < 40
    assert "truth=array(32, 32) float64" in text and "accelerations=(4,)" in text
    assert "masks={4.0: array(32, 32) bool}" in text and f"rows=list({len(fig5.ROWS)} entries)" in text
    assert "[[" not in text and "..." not in text                      # no image printed


def test_run_refuses_a_non_bool_quick_and_bad_accelerations_before_any_work(monkeypatch):
    def work(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(fig5, "mri_problem", work)
    for bad in ("yes", 1, None):
        with pytest.raises(TypeError, match="quick must be True or False"):
            fig5.run(quick=bad)
    for bad in ("48", True, {4: 1}, np.array(4.0)):
        with pytest.raises(TypeError, match="accelerations"):
            fig5.run(quick=True, accelerations=bad)
    for bad in ((4, 0.5), (), (4, float("nan"))):
        with pytest.raises(ValueError, match="accelerations"):
            fig5.run(quick=True, accelerations=bad)


def test_a_single_acceleration_is_one_factor():
    """``accelerations=4`` means (4,): the same data as ``accelerations=(4,)``."""
    kw = dict(quick=True, size=16, channels=8, steps=3, methods=("tv",))
    one, seq = fig5.run(accelerations=4, **kw), fig5.run(accelerations=(4.0,), **kw)
    assert one.accelerations == seq.accelerations == (4.0,) and one.config["accelerations"] == (4.0,)
    assert one.row("tv oracle", 4).psnr == seq.row("tv oracle", 4.0).psnr
    np.testing.assert_array_equal(one.row("deep-decoder", 4).reconstruction, seq.row("deep-decoder", 4).reconstruction)


def test_deep_decoder_beats_zero_filling_on_the_phantom_at_4x(quick4):
    r = quick4
    dd, zf = r.row("deep-decoder", 4), r.row("zero-filled", 4)
    assert dd.psnr > zf.psnr + 2.0 and dd.ssim > zf.ssim


def test_baselines_are_converged_and_oracle_tuning_is_an_upper_bound(quick4):
    r = quick4
    for m in fig5.BASELINES:
        oracle, rule = r.row(f"{m} oracle", 4), r.row(f"{m} rule", 4)
        assert oracle.converged and rule.converged, m
        assert oracle.rule == "oracle" and rule.rule == "fraction"
        assert (oracle.method, oracle.tuning, rule.tuning, rule.image, rule.seed) == (m, "oracle", "rule", "shepp_logan", 0)
        # the rule's λ lies on the oracle's walk: the oracle can only be better (up to warm starts, 0.1 dB)
        assert oracle.psnr >= rule.psnr - 0.1, m
        base = baselines.FRACTIONS[m]
        assert r.config["fractions"][m] == base
        assert rule.steps_taken >= 1 and rule.relative_change < 1e-3
    # TV with the same λ rule is the strongest baseline on the piecewise-constant phantom, far above zero filling
    assert r.row("tv oracle", 4).psnr > r.row("zero-filled", 4).psnr + 3.0


def test_best_baseline_is_the_best_row_and_the_checks_compare_with_it(quick4):
    r = quick4
    rows = [row for row in fig5.ROWS if row != "deep-decoder"]
    best = max(rows, key=lambda row: r.row(row, 4).psnr)
    assert r.best_baseline(4) == best
    assert r.best_rule_baseline(4.0) == max([row for row in rows if not row.endswith("oracle")],
                                            key=lambda row: r.row(row, 4).psnr)
    check = fig5.checks(r)[0]
    assert check.value == pytest.approx(r.row("deep-decoder", 4).psnr - r.row(best, 4).psnr)
    assert check.tolerance == fig5.CLAIMS["quick"][4.0] and check.relation == ">="
    assert best in check.note


def test_checks_say_plainly_when_the_decoder_loses(quick4):
    r = copy.deepcopy(quick4)
    best = r.best_baseline(4)
    dd = r.row("deep-decoder", 4)
    dd.psnr = r.row(best, 4).psnr - 4.5                             # a loss beyond the claim (−4 dB)
    c = fig5.checks(r)[0]
    assert c.value == pytest.approx(-4.5) and not c.passed and "LOSES by 4.50 dB" in c.note
    assert c.aggregate == "mean"                                    # a claim about the mean over masks
    dd.psnr = r.row(best, 4).psnr + 0.5
    c = fig5.checks(r)[0]
    assert c.passed and "wins" in c.note
    # a baseline run that hit its cap fails the convergence check
    r.row("tv rule", 4).converged = False
    assert not [c for c in fig5.checks(r) if "iteration cap" in c.name][0].passed
    # an acceleration without a claim: the decoder must win
    r.config["quick"] = False
    r.accelerations = (4.0,)
    dd.psnr = r.row(best, 4).psnr - 0.5
    assert fig5.checks(r)[0].tolerance == fig5.CLAIMS["full"][4.0]


def test_result_structure_and_early_stopping_bookkeeping(quick4):
    r = quick4
    assert [row.name for row in r.rows] == list(r.names) == list(fig5.ROWS)       # one record per row, in order
    assert all(row.acceleration == 4.0 and row.reconstruction.shape == r.truth.shape for row in r.rows)
    with_lam = [row.name for row in r.rows if row.rule]
    assert with_lam == [n for n in fig5.ROWS if n not in ("zero-filled", "deep-decoder")]
    assert all(r.row(n, 4).lam > 0 for n in with_lam) and np.isnan(r.row("zero-filled", 4).lam)
    with pytest.raises(KeyError, match="no row 'tv oracle' at 8x"):
        r.row("tv oracle", 8)
    steps = fig5.QUICK["steps"]
    dd = r.row("deep-decoder", 4)
    mse = dd.mse_curve
    assert mse.shape == (steps + 1,) and dd.loss_curve.shape == (steps + 1,)
    assert dd.best_iteration == int(np.argmin(mse))
    assert dd.best_mse == mse.min() <= dd.final_mse == mse[-1]
    assert all(row.mse_curve is None and row.best_iteration == -1 for row in r.rows if row.baseline)
    # the table's deep-decoder entry is the last iterate: its MSE is final_mse
    assert np.isclose(np.mean((dd.reconstruction - r.truth) ** 2), dd.final_mse, rtol=1e-8)
    assert dd.psnr_early_stopped >= dd.psnr - 1e-9
    assert r.masks[4.0].mean() == pytest.approx(0.25)
    assert r.config["num_params"] > 2 * r.masks[4.0].sum()          # over-parameterized: N > #measurements
    text = fig5.table(r)
    assert all(row in text for row in fig5.ROWS) and f"{r.row('tv oracle', 4).lam:8.2e}" in text


def test_plot_draws_without_computing(quick4, tmp_path):
    path = tmp_path / "fig5.png"
    fig = fig5.plot(quick4, path)
    assert path.stat().st_size > 0
    assert len(fig.axes) >= 2 + 3 + len(fig5.BASELINES)


def test_noisy_data_use_the_discrepancy_rule():
    r = fig5.run(quick=True, size=16, channels=4, steps=5, snr_db=20, oversample=2, methods=("l1-dct", "tv-box"))
    assert all(r.row(f"{m} rule", 4).rule == "discrepancy" for m in ("l1-dct", "tv-box"))
    assert r.names == ("zero-filled", "l1-dct oracle", "l1-dct rule", "tv-box oracle", "tv-box rule", "deep-decoder")


def test_runs_on_every_backend(xp):
    kw = dict(quick=True, size=16, channels=4, steps=6, oversample=2, methods=("tv",))
    r = fig5.run(xp=xp, **kw)
    assert np.isfinite(r.row("deep-decoder", 4).psnr) and r.row("deep-decoder", 4).mse_curve.shape == (7,)
    assert r.names == ("zero-filled", "tv oracle", "tv rule", "deep-decoder")
    ref = fig5.run(**kw)
    assert r.row("tv oracle", 4).psnr == pytest.approx(ref.row("tv oracle", 4).psnr, abs=1e-6)
    assert "l1-dct" not in fig5.table(r) and len(fig5.checks(r)) == 3


def test_validates_arguments():
    with pytest.raises(ValueError, match="settle_fraction"):
        fig5.run(quick=True, settle_fraction=1.0)
    with pytest.raises(ValueError, match="accelerations"):
        fig5.run(quick=True, accelerations=())
    with pytest.raises(TypeError, match="steps"):
        fig5.run(quick=True, steps=1.5)
    with pytest.raises(TypeError, match="oversample"):
        fig5.run(quick=True, oversample=1.5)
    with pytest.raises(ValueError, match="methods"):
        fig5.run(quick=True, methods=("tv", "wavelets"))


def test_one_fit_with_a_warm_restart_is_the_former_two_fits():
    """fit_deep_decoder is one Adam run with StepDecay([t0]) and restarts=[t0]; its iterates are those of
    Adam to t0 then a fresh Adam at step_size/10 from there (what two calls of fit did), to the last bit."""
    import cstheory as cst
    from cstheory.deep_decoder import DeepDecoder
    from cstheory.mri import mri_problem

    P = mri_problem("shepp_logan", size=16, acceleration=4, rng=0, oversample=2)
    dd = fig5.fit_deep_decoder(P, channels=8, layers=2, steps=30, step_size=0.01, settle_fraction=0.2, rng=3)
    signal, loss = dd.signal, dd.loss
    gen = DeepDecoder(P.operator.image_shape, channels=8, layers=2, output="conv", sigmoid=True, rng=3)
    a = cst.fit(gen, P.operator, P.y, params=gen.init(rng=3), steps=24, optimizer="adam", step_size=0.01)
    b = cst.fit(gen, P.operator, P.y, params=a.params, steps=6, optimizer="adam", step_size=0.001)
    np.testing.assert_array_equal(cst.to_numpy(signal), cst.to_numpy(b.signal))
    np.testing.assert_array_equal(loss, np.concatenate([a.loss, b.loss[1:]]))


def test_several_starts_keep_the_one_with_the_lowest_final_measurement_loss():
    """``inits=3``: three fits from the seeds of ``start_seed``; the kept one has the lowest final loss (not the
    best true error: x* is not used to choose), and each start is the plain fit of its own seed."""
    from cstheory.mri import mri_problem

    P = mri_problem("shepp_logan", size=16, acceleration=4, rng=0, oversample=2)
    kw = dict(channels=8, layers=2, steps=20, step_size=0.01)
    many = fig5.fit_deep_decoder(P, inits=3, rng=3, **kw)
    assert len(many.final_losses) == 3 and len(set(many.final_losses)) == 3
    assert many.start == int(np.argmin(many.final_losses)) and many.loss[-1] == min(many.final_losses)
    alone = fig5.fit_deep_decoder(P, rng=fig5.start_seed(3, many.start), **kw)
    np.testing.assert_array_equal(alone.loss, many.loss)
    np.testing.assert_array_equal(alone.error, many.error)
    assert fig5.fit_deep_decoder(P, rng=3, **kw).final_losses == many.final_losses[:1]
    assert fig5.start_seed(3, 0) == 3
    with pytest.raises(TypeError, match="inits"):
        fig5.fit_deep_decoder(P, inits=1.5, rng=3, **kw)


def test_plot_curves_and_images_split_the_composite_into_page_width_figures(quick4, tmp_path):
    composite = fig5.plot(quick4)
    curves = fig5.plot_curves(quick4, tmp_path / "curves.png")
    images = fig5.plot_images(quick4, tmp_path / "images.png", columns=4)
    shown = 3 + sum(f"{m} oracle" in quick4.names for m in fig5.BASELINES) + 1
    # the same panels as the composite (its table is text: fig5.table), none of them smaller
    assert len(curves.axes) == 1 and len(images.axes) == shown * len(quick4.accelerations)
    assert len(composite.axes) == 2 + len(images.axes)
    assert [a.get_title() for a in images.axes] == [a.get_title() for a in composite.axes[2:]]
    assert curves.axes[0].get_title() == composite.axes[0].get_title()
    # at most `columns` panels a row, and each figure no wider than a page (≤ 8 inches)
    cols = {round(a.get_position().x0, 3) for a in images.axes}
    assert len(cols) == 4 and max(images.get_size_inches()[0], curves.get_size_inches()[0]) <= 8
    assert (tmp_path / "curves.png").stat().st_size > 0 and (tmp_path / "images.png").stat().st_size > 0
    for bad, error in ((0, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="columns"):
            fig5.plot_images(quick4, columns=bad)


def test_deep_decoder_fits_a_complex_image_with_two_output_channels():
    """A problem with a smooth phase: two output channels (real, imaginary), no sigmoid, and the recorded error
    is that of the magnitude, so the early-stopping oracle scores what the PSNR scores."""
    from cstheory.mri import magnitude, mri_problem, psnr
    P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0, phase="smooth")
    dd = fig5.fit_deep_decoder(P, channels=4, layers=3, steps=6, rng=0)
    assert dd.signal.shape == (2, 16, 16) and dd.loss.shape == (7,) and dd.error.shape == (7,)
    d = magnitude(dd.signal) - magnitude(P.image)
    assert dd.error[-1] == pytest.approx(float(np.sum(d * d)), rel=1e-12)
    mag = magnitude(P.image)
    assert psnr(dd.signal, P.image) == pytest.approx(
        10 * np.log10((mag.max() - mag.min()) ** 2 / (dd.error[-1] / mag.size)), rel=1e-12)
    assert float(dd.signal.min()) < 0.0                      # no sigmoid: a complex image has signs
    r = P.operator @ dd.signal - P.y
    assert dd.loss[-1] == pytest.approx(0.5 * float(np.sum(r * r)), rel=1e-12)


def test_matched_start_gives_the_data_scale_without_the_truth():
    """‖A G(θ₀)‖ = ‖y‖ after scaling the output layer (G is linear in C_d), everything else θ₀ unchanged;
    the complex fit starts there (its first loss is at most ‖y‖² · 2, the scale-mismatched start's is not)."""
    from cstheory.deep_decoder import DeepDecoder
    from cstheory.mri import mri_problem
    P = mri_problem("shepp_logan", size=16, acceleration=2, rng=1, phase="smooth")
    gen = DeepDecoder((16, 16), channels=4, layers=3, output="conv", out_channels=2, rng=3)
    theta = fig5.matched_start(gen, P.operator, P.y, rng=3)
    ax = P.operator @ gen(theta).reshape(-1)
    assert np.linalg.norm(ax) == pytest.approx(np.linalg.norm(P.y), rel=1e-12)
    plain = gen.init(rng=3)
    a, b = gen._out_slice
    np.testing.assert_array_equal(theta[:a], plain[:a])                  # only C_d is scaled ...
    ratio = theta[a:b] / plain[a:b]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)             # ... by one factor
    dd = fig5.fit_deep_decoder(P, channels=4, layers=3, steps=1, rng=0)
    assert dd.loss[0] <= 2 * float(P.y @ P.y)
    with pytest.raises(ValueError, match="linear"):
        fig5.matched_start(DeepDecoder((16, 16), 4, 3, output="conv", sigmoid=True), P.operator, P.y)
