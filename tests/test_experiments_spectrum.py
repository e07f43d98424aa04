"""Tests for the spectrum figures: Fig. 2 (trigonometric basis, eq. 10) and Fig. 3 (kernel weights σ, eq. 11)."""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from cstheory.experiments import fig2, fig3


def _eq10(n, i, j):
    """[w_i]_j of eq. (10), 0-based i, written out independently of trig_basis."""
    if i == 0:
        return 1.0 / math.sqrt(n)
    if 2 * i < n:
        return math.sqrt(2.0 / n) * math.cos(2.0 * math.pi * j * i / n)
    if 2 * i == n:
        return (-1.0) ** j / math.sqrt(n)
    return math.sqrt(2.0 / n) * math.sin(2.0 * math.pi * j * i / n)


@pytest.fixture(scope="module")
def fig2_result():
    return fig2.run()


@pytest.fixture(scope="module")
def fig3_quick():
    return fig3.run(quick=True)


def test_fig2_shows_the_papers_1st_2nd_6th_21st_functions(fig2_result):
    r = fig2_result
    assert r.n == 300
    np.testing.assert_array_equal(r.indices_1based, [1, 2, 6, 21])
    np.testing.assert_array_equal(r.frequencies, [0, 1, 5, 20])
    assert r.columns.shape == (300, 4)
    for c, k in enumerate(r.indices_1based):
        for j in (0, 1, 7, 150, 299):
            assert r.columns[j, c] == pytest.approx(_eq10(300, k - 1, j), abs=1e-14)


def test_fig2_columns_are_orthonormal(fig2_result):
    C = fig2_result.columns
    np.testing.assert_allclose(C.T @ C, np.eye(C.shape[1]), atol=1e-13)


def test_fig2_other_indices_and_odd_n():
    """Sines and the (−1)^j column, for odd and even n (paper's 1-based k → column k − 1)."""
    for n, ks in ((12, (1, 7, 8, 12)), (11, (1, 6, 7, 11))):
        r = fig2.run(n=n, indices_1based=ks)
        for c, k in enumerate(ks):
            np.testing.assert_allclose(r.columns[:, c], [_eq10(n, k - 1, j) for j in range(n)], atol=1e-14)


@pytest.mark.parametrize("ks", [(0,), (301,), ()])
def test_fig2_bad_indices(ks):
    with pytest.raises(ValueError, match="indices_1based"):
        fig2.run(indices_1based=ks)


def test_fig3_closed_form_matches_dense_eigenvalues(fig3_quick):
    """σ² of sigma_weights = eigenvalues of Σ(circulant(u)) (relative to the largest), per kernel.

    Measured (n = 100, quick): at most 1.9e-15; at n = 300 (full): at most 3.5e-15."""
    r = fig3_quick
    assert r.eig_rel_error.shape == (len(r.names),)
    assert np.all(r.eig_rel_error < 5e-15), dict(zip(r.names, r.eig_rel_error))


def test_fig3_gamma_decreases_with_kernel_width(fig3_quick):
    """γ ∈ (0, 1], = 1 for the identity kernel (p = 1), strictly decreasing with width in each family.

    Measured (n = 100, fit 1 ≤ i < 10): triangles p = 1, 3, 10, 30 → γ = 1, 0.988, 0.864, 0.593;
    Gaussians width 2, 8 → 0.966, 0.685."""
    r = fig3_quick
    assert np.all((r.gamma > 0) & (r.gamma <= 1 + 1e-12))
    for family in ("triangle", "gaussian"):
        sel = [i for i, f in enumerate(r.families) if f == family]
        assert len(sel) >= 2
        widths, gammas = r.widths[sel], r.gamma[sel]
        order = np.argsort(widths)
        assert np.all(np.diff(gammas[order]) < 0), (family, widths, gammas)
    p1 = r.names.index("triangle p=1")
    assert r.gamma[p1] == pytest.approx(1.0, abs=1e-12)


def test_fig3_data_is_consistent(fig3_quick):
    r = fig3_quick
    K = len(r.names)
    assert r.kernels.shape == r.sigma.shape == r.sigma2_sorted.shape == (K, r.n)
    np.testing.assert_allclose(np.linalg.norm(r.kernels, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(r.sigma2_sorted, -np.sort(-(r.sigma**2), axis=1), rtol=0)
    for k in range(K):
        idx = r.fit_indices[k]
        assert idx.min() >= r.fit_start and idx.max() < r.fit_stop
        # the fitted line is a least-squares fit of log σ² on the window: its residual has zero mean
        resid = np.log(r.sigma2_sorted[k, idx]) - (r.fit_c[k] + idx * math.log(r.gamma[k]))
        assert abs(resid.mean()) < 1e-10


def test_fig3_full_size_has_the_papers_triangles():
    """Full size: n = 300 with p ∈ {1, 10, 30} among the triangles."""
    r = fig3.run(gaussian_widths=(), triangle_widths=(1, 10, 30))
    assert r.n == 300 and r.fit_stop == 30
    assert np.all(r.eig_rel_error < 1e-10)
    assert r.gamma[0] == pytest.approx(1.0) and 0 < r.gamma[2] < r.gamma[1] < 1


def test_plots_return_figures_and_write_png(tmp_path, fig2_result, fig3_quick):
    for mod, res in ((fig2, fig2_result), (fig3, fig3_quick)):
        path = tmp_path / f"{mod.__name__.rsplit('.', 1)[-1]}.png"
        fig = mod.plot(res, path)
        assert isinstance(fig, Figure)
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert isinstance(fig2.plot(fig2_result), Figure)  # no path: nothing written, still a Figure


def test_fig3_repr_and_the_quick_flag(fig3_quick):
    text = repr(fig3_quick)
    assert text.startswith("Fig3Result(\n    n=100,") and "kernels=array(6, 100) float64" in text
    assert f"gamma=[{' '.join(f'{g:.4g}' for g in fig3_quick.gamma)}]" in text
    for bad in ("yes", 1, None):
        with pytest.raises(TypeError, match="quick must be True or False"):
            fig3.run(quick=bad)


def test_fig3_bad_input():
    with pytest.raises(ValueError, match="at least one kernel"):
        fig3.run(triangle_widths=(), gaussian_widths=())
    with pytest.raises(ValueError, match="support"):
        fig3.run(n=20, triangle_widths=(11,), gaussian_widths=())
    with pytest.raises(ValueError, match="fit_stop"):
        fig3.run(quick=True, fit_start=5, fit_stop=6)


def test_fig3_plot_draws_sigma_with_a_legend_and_one_colour_per_fit(fig3_quick):
    """The paper plots σ (not σ²); the middle panel has a legend; each fitted line has its kernel's colour."""
    from matplotlib.colors import to_rgba
    fig = fig3.plot(fig3_quick)
    _, ax_ll, ax_sl = fig.axes[:3]
    assert ax_ll.get_legend() is not None and ax_sl.get_legend() is not None
    K = len(fig3_quick.names)
    data, fits = ax_ll.get_lines()[0::2], ax_ll.get_lines()[1::2]
    assert len(data) == len(fits) == K
    for k in range(K):
        np.testing.assert_allclose(data[k].get_ydata(), np.sqrt(fig3_quick.sigma2_sorted[k]))
        idx = fig3_quick.fit_indices[k]
        np.testing.assert_allclose(fits[k].get_ydata() ** 2,
                                   np.exp(fig3_quick.fit_c[k]) * fig3_quick.gamma[k] ** idx, rtol=1e-12)
        assert to_rgba(fits[k].get_color()) == to_rgba(data[k].get_color())
    assert len({to_rgba(f.get_color()) for f in fits}) == K
    assert "sigma" in ax_ll.get_ylabel() and "sigma_i^2" not in ax_ll.get_ylabel().split("(")[0]
