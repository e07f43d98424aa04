"""Quick runs of the issue-5 experiments (measurements, no_early_stopping, theorem4): data shapes and quality."""
import numpy as np
import pytest

from cstheory.experiments import measurements, no_early_stopping, theorem4


@pytest.fixture(scope="module")
def t4():
    return theorem4.run(quick=True)


def test_theorem4_quick_gap_falls_with_width(t4, tmp_path):
    """Measured (quick: n = 32, m = 8, k = 16…1024, 200 steps, ξ = 1): median gaps 0.120, 0.127,
    0.051, 0.031, slope −0.36; relative movement 1.07 → 0.11 (slope −0.55)."""
    K = t4.ks.size
    assert t4.residual_gap.shape == t4.parameter_gap.shape == t4.relative_movement.shape == (K, 1)
    assert t4.residual_gap[-1, 0] < t4.residual_gap[0, 0] / 2
    assert t4.slope < -0.2
    assert -0.7 < t4.movement_slope < -0.35          # ‖θ_T − θ₀‖/‖θ₀‖ ∝ 1/√k
    assert np.all(t4.final_residual < 0.1)            # GD did fit the measurements
    assert t4.curves_nonlinear.shape == t4.curves_linear.shape == (2, t4.iterations.size)
    fig = theorem4.plot(t4, tmp_path / "t4.png")
    assert (tmp_path / "t4.png").stat().st_size > 0 and len(fig.axes) == 2


def test_measurements_quick_error_falls_with_m(tmp_path):
    """Measured (quick: n = 64, p = 4, m = 4, 8, 16, 32): two-layer 0.31, 0.021, 3.4e-3, 6.8e-5;
    linear 0.40, 0.050, 0.022, 1.4e-3; bound 5.3 … 0.33."""
    r = measurements.run(quick=True)
    assert r.error_two_layer.shape == r.error_linear.shape == r.bound.shape == (1, 4, 1)
    e2 = r.error_two_layer[0, :, 0]
    assert e2[-1] < 2e-4 and e2[-1] < 1e-3 * e2[0]      # measured 6.8e-5 = 2.2e-4 · e2[0] (deterministic)
    assert r.error_linear[0, -1, 0] < 4e-3                # measured 1.4e-3
    assert np.all(r.error_two_layer / r.bound < 1.0)
    assert r.m_needed_two_layer[0] in (8, 16)
    measurements.plot(r, tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 0


def test_no_early_stopping_quick(tmp_path):
    """Measured (quick: n = 64, m = 16, 1000 steps): final errors 0.052 (smooth) and 0.072 (grass row),
    both equal to the best along the path; losses fall 0.47 → 9e-5 and 0.91 → 2.8e-3."""
    r = no_early_stopping.run(quick=True)
    assert r.loss.shape == r.error.shape == (2, r.iterations.size)
    assert np.all(r.loss[:, -1] < 1e-2 * r.loss[:, 0])
    assert np.all(r.final_error <= 1.1 * r.best_error)   # stopping early would not help
    assert r.final_error[0] < 0.1
    no_early_stopping.plot(r, tmp_path / "f1.png")
    assert (tmp_path / "f1.png").stat().st_size > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="ks must hold at least two widths"):
        theorem4.run(quick=True, ks=[16])
    with pytest.raises(ValueError, match="k must be an integer >= 2|each entry of ks"):
        theorem4.run(quick=True, ks=[16, 0])
    with pytest.raises(ValueError, match="every p and every m must be <= n"):
        measurements.run(quick=True, ms=[100])
    with pytest.raises(ValueError, match="m and p must be <= n"):
        no_early_stopping.run(quick=True, m=1000)
