"""phase_transition.summarize: rows of a sweep → recovery probabilities (what tutorial 07 draws)."""
import numpy as np
import pytest

from cstheory.experiments import phase_transition


def rows_of(errors):
    """errors[(method, m, p)] = list of per-seed errors → sweep rows."""
    return [{"method": k[0], "m": k[1], "p": k[2], "seed": s, "error": e, "status": "ok"}
            for k, errs in errors.items() for s, e in enumerate(errs)]


def test_summarize_counts_the_fraction_below_tau_and_the_median():
    errs = {("a", 4, 1): [0.05, 0.2, 0.09, 0.5], ("a", 8, 1): [0.01, 0.02, 0.5, 0.099],
            ("a", 4, 2): [0.3, 0.3, 0.3, 0.1], ("b", 4, 1): [0.0, 0.0, 0.0, 0.0]}
    rows = rows_of(errs) + [{"method": "a", "m": 8, "p": 2, "seed": 0, "error": float("nan"), "status": "error"}]
    res = phase_transition.summarize(rows, [4, 8], [1, 2], n=16, tau=0.1)
    assert list(res.probability) == ["a", "b"]
    np.testing.assert_array_equal(res.probability["a"], [[0.5, 0.75], [0.0, np.nan]])   # 0.1 is not < 0.1
    np.testing.assert_allclose(res.median_error["a"][0],
                               [np.median([0.05, 0.2, 0.09, 0.5]), np.median([0.01, 0.02, 0.5, 0.099])])
    assert np.isnan(res.probability["b"][1]).all() and res.probability["b"][0, 0] == 1.0
    assert len(res.failures) == 1 and res.n == 16
    need = phase_transition.measurements_needed(res, "a")
    np.testing.assert_array_equal(need, [4.0, np.nan])
    only_b = phase_transition.summarize(rows, [4, 8], [1, 2], n=16, methods=["b"])
    assert list(only_b.probability) == ["b"]


def test_plot_draws_the_methods_of_the_result(tmp_path):
    pytest.importorskip("matplotlib")
    rows = rows_of({("two-layer", 4, 1): [0.05], ("two-layer", 8, 1): [0.01]})
    res = phase_transition.summarize(rows, [4, 8], [1], n=16)
    fig = phase_transition.plot(res, path=tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["two-layer"]


def test_cell_edges_are_the_geometric_midpoints_around_each_grid_value():
    """The heat map's cells sit at their true m/n on log axes, so m = 3p is a straight line however unevenly
    the grid is spaced: each value lies inside its cell, inner edges are geometric midpoints of neighbours,
    and the end cells are centred (geometrically) on the end values."""
    from cstheory.experiments.phase_transition import _cell_edges
    v = np.array([0.05, 0.1, 0.125, 0.5, 0.9])
    e = _cell_edges(v)
    assert e.shape == (6,) and np.all(e[:-1] < v) and np.all(v < e[1:])
    np.testing.assert_allclose(e[1:-1], np.sqrt(v[1:] * v[:-1]), rtol=1e-12)
    np.testing.assert_allclose([e[0] * e[1], e[-2] * e[-1]], [v[0] ** 2, v[-1] ** 2], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(_cell_edges([0.2]).prod()), 0.2, rtol=1e-12)
