"""Figure 3: convolution kernels and the weights σ they induce (eq. 11), with a fitted geometric rate.

For each kernel u (unit-norm triangles of support 2p − 1, as in the paper's
Fig. 3 with n = 300, and a couple of Gaussian kernels) we compute

* σ by the Fourier closed form, :func:`cstheory.sigma_weights` (eq. 11 with
  the autocorrelation; index i pairs with w_i of eq. (10));
* a check of that closed form: max |sort(σ²) − eig(Σ(U))| / max eig(Σ(U)) with
  Σ(U) = :func:`cstheory.sigma_matrix` of the dense circulant U, eigenvalues by
  a dense symmetric eigendecomposition;
* the fitted geometric rate γ of σ_i² ≈ e^c γ^i (:func:`cstheory.spectrum.geometric_fit`)
  over the *low-frequency* part of the spectrum, sorted indices
  ``fit_start ≤ i < fit_stop`` (default 1 ≤ i < n/10).

Why a window: the decay is geometric only at the start.  The spectrum then
turns into a slowly decaying power-law tail: near lag d = 0 the normalised
autocorrelation is ρ(d) ≈ 1 − c d², and acos(1 − x) ≈ √(2x) turns it into a
kink ∝ |d| of g(ρ(d)) (the ReLU's angle θ), whose Fourier transform decays
only like 1/f².  A fit over the whole spectrum returns γ ≈ 0.98 for every
kernel of width ≥ 3 at n = 300, hiding the effect the figure is about.  Over i < n/10 the fitted γ
decreases with the kernel width, as the paper says: "the wider the kernel
is, the more the weights are concentrated towards the low-frequency
components".

Sorting: the fit and the plot use σ² sorted decreasingly (rank i = 0 is the
largest).  For these kernels this is the frequency order (cos/sin pairs of
equal weight side by side) except far in the flat tail of very narrow
triangles (p = 3 is not monotone in frequency beyond frequency ≈ 130);
:attr:`Fig3Result.monotone_in_frequency` records it per kernel.

On the log-log axes of the paper a geometric sequence is *not* a straight
line (log σ_i is linear in i, not in log i); :func:`plot` therefore draws
the log-log panel of the paper and a semi-log panel on which the fit is the
straight line.  Both panels show σ, as the paper's Fig. 3 does (the fit
and γ are stated for σ² = the eigenvalues of Σ(U), so σ_i ∝ γ^{i/2}).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from .._repr import compact_repr
from ..kernels import circulant_matrix, gaussian, triangular
from ..signals import frequency_order
from ..spectrum import geometric_fit, sigma_matrix, sigma_weights
from ..plotting import figure, save

__all__ = ["Fig3Result", "run", "plot", "checks", "TRIANGLE_WIDTHS", "GAUSSIAN_WIDTHS"]

#: Half-widths p of the triangular kernels (support 2p − 1) at full size, n = 300.
TRIANGLE_WIDTHS = (1, 3, 10, 30)
#: Standard deviations (in samples) of the Gaussian kernels at full size.
GAUSSIAN_WIDTHS = (2.0, 8.0)
#: Quick mode: smaller n (the dense eigendecomposition is the only O(n³) step).
QUICK = {"n": 100, "triangle_widths": (1, 3, 10, 30), "gaussian_widths": (2.0, 8.0)}


@compact_repr
@dataclass
class Fig3Result:
    """Data of Fig. 3 (all NumPy, float64).

    Attributes
    ----------
    n : int
    names : list of str
        One label per kernel ("triangle p=10", "gaussian width=8").
    families : list of str
        "triangle" or "gaussian", per kernel.
    widths : numpy.ndarray (K,)
        p for triangles, the standard deviation for Gaussians.
    kernels : numpy.ndarray (K, n)
        The unit-norm kernels u, centred at index 0 (u[d] = u[n − d]).
    sigma : numpy.ndarray (K, n)
        σ of eq. (11) by :func:`cstheory.sigma_weights`, in ``trig_basis`` index order.
    sigma2_sorted : numpy.ndarray (K, n)
        σ² sorted decreasingly (the x-axis "rank" of the plot).
    monotone_in_frequency : numpy.ndarray of bool (K,)
        Whether σ² in frequency order (``frequency_order``) equals ``sigma2_sorted``.
    gamma, fit_c : numpy.ndarray (K,)
        The geometric fit σ_i² ≈ exp(fit_c) · gamma^i over the sorted indices ``fit_indices[k]``.
    fit_indices : list of numpy.ndarray
    fit_start, fit_stop : int
        The requested fit window (sorted indices), before the noise floor of ``geometric_fit``.
    eig_rel_error : numpy.ndarray (K,)
        max |sort(σ²) − eig(Σ(circulant(u)))| / max eig — the closed form checked
        against a dense eigendecomposition.
    """

    n: int
    names: list
    families: list
    widths: np.ndarray
    kernels: np.ndarray
    sigma: np.ndarray
    sigma2_sorted: np.ndarray
    monotone_in_frequency: np.ndarray
    gamma: np.ndarray
    fit_c: np.ndarray
    fit_indices: list
    fit_start: int
    fit_stop: int
    eig_rel_error: np.ndarray


def _eig_check(u, s):
    """max |sort(σ²) − eig(Σ(U))| / max eig(Σ(U)), Σ(U) dense."""
    ev = np.linalg.eigvalsh(np.asarray(sigma_matrix(circulant_matrix(u))))
    return float(np.max(np.abs(np.sort(s**2) - ev)) / np.max(ev))


def run(quick=False, n=None, triangle_widths=None, gaussian_widths=None, fit_start=1, fit_stop=None):
    """Compute the data of Fig. 3 (no drawing).

    Parameters
    ----------
    quick : bool
        Use the smaller defaults of :data:`QUICK` (n = 100) instead of n = 300 (``True``/``False``
        only: a ``TypeError`` names ``quick`` otherwise).
    n : int, optional
        Signal length (default 300, or 100 with ``quick``).
    triangle_widths : sequence of int, optional
        Half-widths p of the unit-norm triangles (support 2p − 1 ≤ n).
    gaussian_widths : sequence of float, optional
        Standard deviations of the unit-norm Gaussian kernels.
    fit_start, fit_stop : int
        Window of sorted indices for the geometric fit; ``fit_stop`` defaults to n // 10
        (at least ``fit_start + 2``).
    """
    quick = _checks.flag(quick, "quick")
    defaults = QUICK if quick else {"n": 300, "triangle_widths": TRIANGLE_WIDTHS, "gaussian_widths": GAUSSIAN_WIDTHS}
    n = _checks.positive_int(defaults["n"] if n is None else n, "n", minimum=4)
    tri = tuple(defaults["triangle_widths"] if triangle_widths is None else triangle_widths)
    gau = tuple(defaults["gaussian_widths"] if gaussian_widths is None else gaussian_widths)
    if len(tri) + len(gau) == 0:
        raise ValueError("give at least one kernel: triangle_widths and gaussian_widths are both empty")
    fit_start = _checks.positive_int(fit_start, "fit_start", minimum=0)
    fit_stop = _checks.positive_int(max(n // 10, fit_start + 2) if fit_stop is None else fit_stop, "fit_stop",
                                  minimum=fit_start + 2)

    specs = [("triangle", _checks.positive_int(p, "triangle_widths entry")) for p in tri]
    specs += [("gaussian", _checks.positive_float(w, "gaussian_widths entry")) for w in gau]
    order = frequency_order(n)
    names, kernels, sigmas, sorted2, mono, gammas, cs, idxs, errs = [], [], [], [], [], [], [], [], []
    for family, w in specs:
        if family == "triangle":
            u = triangular(n, w)
            names.append(f"triangle p={w}")
        else:
            u = gaussian(n, w)
            names.append(f"gaussian width={w:g}")
        s = np.asarray(sigma_weights(u), dtype=np.float64)
        s2 = np.sort(s**2)[::-1]
        gamma, c, idx = geometric_fit(s, start=fit_start, stop=fit_stop)
        kernels.append(np.asarray(u, dtype=np.float64))
        sigmas.append(s)
        sorted2.append(s2)
        mono.append(bool(np.allclose((s**2)[order], s2, rtol=1e-12, atol=0.0)))
        gammas.append(gamma)
        cs.append(c)
        idxs.append(idx)
        errs.append(_eig_check(u, s))
    return Fig3Result(
        n=n,
        names=names,
        families=[f for f, _ in specs],
        widths=np.asarray([float(w) for _, w in specs]),
        kernels=np.stack(kernels),
        sigma=np.stack(sigmas),
        sigma2_sorted=np.stack(sorted2),
        monotone_in_frequency=np.asarray(mono),
        gamma=np.asarray(gammas),
        fit_c=np.asarray(cs),
        fit_indices=idxs,
        fit_start=fit_start,
        fit_stop=fit_stop,
        eig_rel_error=np.asarray(errs),
    )


def plot(result, path=None):
    """Draw Fig. 3 from a :class:`Fig3Result`: kernels (left), σ log-log as in the paper (middle, with a
    legend), σ semi-log with the fitted geometric rate (right; γ is the rate of σ², so σ_i ∝ γ^{i/2}).

    Each fitted line is dotted in its kernel's colour.

    Returns the :class:`matplotlib.figure.Figure` (created without pyplot, so
    no GUI backend is needed); saves it to ``path`` if given.
    """

    n = result.n
    fig = figure(15, 4.4)
    ax_k, ax_ll, ax_sl = fig.subplots(1, 3)
    colors = [f"C{i % 10}" for i in range(len(result.names))]
    styles = ["-" if f == "triangle" else "-." for f in result.families]

    # (a) the kernels, centred: d = −n/2 … n/2 − 1
    d = np.arange(n) - n // 2
    reach = 0
    for k, name in enumerate(result.names):
        u = np.roll(result.kernels[k], n // 2)
        ax_k.plot(d, u, styles[k], color=colors[k], lw=1.3, label=name)
        support = np.nonzero(np.abs(u) > 1e-3 * np.abs(u).max())[0]
        reach = max(reach, int(np.max(np.abs(d[support]))))
    lim = min(n // 2, int(1.15 * reach) + 2)
    ax_k.set_xlim(-lim, lim)
    ax_k.set_xlabel("offset $d$ (circular, centred at 0)")
    ax_k.set_ylabel("$u[d]$  (unit norm)")
    ax_k.set_title("kernels")
    ax_k.legend(fontsize=7)

    # the paper plots the weights σ (Fig. 3); σ_i = √(σ_i²), and the fit σ_i² ≈ e^c γ^i reads σ_i ≈ e^{c/2} γ^{i/2}
    rank = np.arange(n)
    for k, name in enumerate(result.names):
        s = np.sqrt(result.sigma2_sorted[k])
        idx = result.fit_indices[k]
        fit = np.exp(result.fit_c[k] / 2.0) * result.gamma[k] ** (idx / 2.0)
        label = f"{name}: γ = {result.gamma[k]:.3f}"
        # (b) the paper's log-log axes: rank i + 1 ≥ 1
        ax_ll.loglog(rank + 1, s, styles[k], color=colors[k], lw=1.3, label=name)
        ax_ll.loglog(idx + 1, fit, ":", color=colors[k], lw=2.2, alpha=0.9)
        # (c) semi-log: γ^{i/2} is a straight line
        shown = rank < min(n, 3 * result.fit_stop)
        ax_sl.semilogy(rank[shown], s[shown], styles[k], color=colors[k], lw=1.3, label=label)
        ax_sl.semilogy(idx, fit, ":", color=colors[k], lw=2.2, alpha=0.9)
    ax_ll.set_xlabel("rank $i+1$ of $\\sigma_i$ sorted decreasingly (≈ frequency order)")
    ax_ll.set_ylabel("$\\sigma_i$  (eq. 11; the eigenvalues of $\\Sigma(U)$ are $\\sigma_i^2$)")
    ax_ll.set_title(f"weights σ on log-log axes, as in the paper (n = {n})\ndotted, in each kernel's colour: "
                    "the geometric fit")
    ax_ll.legend(fontsize=7, title="kernel", title_fontsize=7)
    ax_sl.axvspan(result.fit_start, result.fit_stop - 1, color="0.92", zorder=0)
    ax_sl.set_xlabel("rank $i$ of $\\sigma_i$ sorted decreasingly")
    ax_sl.set_ylabel("$\\sigma_i$")
    ax_sl.set_title(f"semi-log: fit $\\sigma_i^2 \\approx e^c\\gamma^i$ ($\\sigma_i \\propto \\gamma^{{i/2}}$)\n"
                    f"on {result.fit_start} ≤ i < {result.fit_stop} (shaded)")
    ax_sl.legend(fontsize=7)
    save(fig, path)
    return fig


def checks(result):
    """Theory checks: the closed form σ² equals the dense eigenvalues; wider triangles decay faster."""
    from ..report import Check
    tri = [i for i, f in enumerate(result.families) if f == "triangle"]
    order = sorted(tri, key=lambda i: result.widths[i])
    gammas = [float(result.gamma[i]) for i in order]
    increases = max((b - a for a, b in zip(gammas, gammas[1:])), default=0.0)
    return [
        Check("eq. (11) closed form vs dense eigendecomposition: max |σ² − λ| / max λ",
              float(np.max(result.eig_rel_error)), 1e-10),
        Check("triangles: largest increase of the fitted γ with the width", increases, 0.0,
              note="γ must not grow as the kernel widens: wider kernels favour low frequencies"),
        Check("all fitted γ lie in (0, 1]", float(np.max(result.gamma)), 1.0 + 1e-9),
    ]
