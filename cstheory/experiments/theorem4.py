"""Theorem 4: the gap between GD on the two-layer network and GD on its linearization, against the width k.

For each width k we fit G(C) = ReLU(UC)v to m Gaussian measurements of a
smooth signal by gradient descent from C₀ (iid N(0, ω²), Theorem 3's
ω = ξ‖y‖/(2√n‖U‖)), run GD on the linearization at C₀ (eq. 16, reference
Jacobian J = A J_G(C₀)) with the same step size, and record

* the residual gap  max_t ‖r_t − r̃_t‖/‖r₀‖  (eq. 35),
* the parameter gap max_t ‖θ_t − θ̃_t‖      (eq. 37),
* the relative distance travelled ‖θ_T − θ₀‖/‖θ₀‖ (why width helps: ‖θ₀‖
  grows like ω√(nk) while the distance needed to fit y does not grow with k).

The gap is then fitted by a power law c·k^s on log-log axes.  Because the
relative movement scales like 1/(ξ√k), the lazy (linear) regime starts at a
width that grows like 1/ξ²: ξ = 1 (the default here) reaches it at k in the
hundreds; Theorem 3's ξ ≤ 1/√(2 log(2n/δ)) ≈ 0.25 needs ~16× more channels.

Measured with ``run()`` (n = 64, m = 12, triangular kernel of width 8, T = 500 GD
steps, 2 seeds, ξ = 1; 18–82 s on 2 shared CPU cores): median gap 0.061, 0.056,
0.032, 0.013, 0.0055 at k = 16, 64, 256, 1024, 4096, fitted slope −0.45 (parameter
gap 0.35 → 0.080, slope −0.28; relative movement 0.77 → 0.048, slope −0.50, the
1/√k of the argument above).  ``run(quick=True)`` (n = 32, k ≤ 1024, 200 steps,
~1–2 s): slope −0.36.  With ξ = 0.1 (n = 32, m = 8, 500 steps) the gap only falls
from 0.19 to 0.12 between k = 16 and 4096: the lazy regime is still ahead.

Data first, plot second::

    from cstheory.experiments import theorem4
    result = theorem4.run(quick=True)
    theorem4.plot(result, "theorem4.png")
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._repr import compact_repr
from .. import _checks
from ..dynamics import linearization
from ..kernels import triangular
from ..operators import gaussian_matrix
from ..signals import smooth_signal
from ..two_layer import TwoLayerGenerator
from ..plotting import figure, save

__all__ = ["Theorem4Result", "run", "plot", "checks"]

@compact_repr
@dataclass
class Theorem4Result:
    """Data of the Theorem-4 experiment.

    Attributes
    ----------
    ks : numpy.ndarray (K,)
        Widths k.
    residual_gap : numpy.ndarray (K, S)
        max_t ‖r_t − r̃_t‖/‖r₀‖ for each width and seed (eq. 35).
    parameter_gap : numpy.ndarray (K, S)
        max_t ‖θ_t − θ̃_t‖ (eq. 37).
    relative_movement : numpy.ndarray (K, S)
        ‖θ_T − θ₀‖/‖θ₀‖ at the last step.
    final_residual : numpy.ndarray (K, S)
        ‖r_T‖/‖r₀‖, how far GD got.
    slope, intercept : float
        Least-squares fit log(median gap) ≈ intercept + slope · log k.
    parameter_slope, movement_slope : float
        The same fit for the parameter gap and for the relative movement.
    iterations : numpy.ndarray (L,)
        The recorded iterations of the example curves.
    curves_nonlinear, curves_linear : numpy.ndarray (2, L)
        ‖r_t‖/‖r₀‖ and ‖r̃_t‖/‖r₀‖ for the narrowest and the widest k (first seed).
    n, m, T : int
        Signal length, measurements, GD steps.
    xi : float
        Theorem 3's ξ that sets the initialisation scale.
    """

    ks: np.ndarray
    residual_gap: np.ndarray
    parameter_gap: np.ndarray
    relative_movement: np.ndarray
    final_residual: np.ndarray
    slope: float
    intercept: float
    parameter_slope: float
    movement_slope: float
    iterations: np.ndarray
    curves_nonlinear: np.ndarray
    curves_linear: np.ndarray
    n: int
    m: int
    T: int
    xi: float


def _fit_slope(ks, values):
    med = np.median(values, axis=1)
    slope, intercept = np.polyfit(np.log(ks), np.log(med), 1)
    return float(slope), float(intercept)


def run(quick=False, n=None, m=None, ks=None, steps=None, seeds=None, xi=1.0, p=3, half_width=None,
        record_every=None, rng=0):
    """Measure the Theorem-4 gap for each width in ``ks`` (no drawing).

    Parameters
    ----------
    quick : bool
        Small sizes (n = 32, m = 8, k = 16 … 1024, 200 steps, 1 seed; a few seconds).
    n, m : int
        Signal length and number of Gaussian measurements (full: 64, 12).
    ks : sequence of even int
        Widths (full: 16, 64, 256, 1024, 4096).
    steps : int
        GD steps T of both runs (full: 500).
    seeds : int
        Number of initialisations per width (full: 2); seed s draws C₀ from ``rng + s``.
    xi : float
        Theorem 3's ξ: C₀ has iid N(0, ω²) entries with ω = ξ‖y‖/(2√n‖U‖).
    p : int
        The signal is ``smooth_signal(n, p)``.
    half_width : int
        Triangular kernel ``kernels.triangular(n, half_width)`` (default n // 8).
    record_every : int
        Compare the runs every this many steps (default T // 50).
    rng : int
        Base seed (signal, measurement matrix, initialisations).
    """
    quick = _checks.flag(quick, "quick")
    n = _checks.positive_int(n if n is not None else (32 if quick else 64), "n")
    m = _checks.positive_int(m if m is not None else (8 if quick else 12), "m")
    ks = tuple(ks) if ks is not None else ((16, 64, 256, 1024) if quick else (16, 64, 256, 1024, 4096))
    ks = np.asarray([_checks.positive_int(k, "each entry of ks", minimum=2) for k in ks], dtype=np.int64)
    if ks.size < 2:
        raise ValueError(f"ks must hold at least two widths to fit a slope, got {ks.tolist()}")
    T = _checks.positive_int(steps if steps is not None else (200 if quick else 500), "steps")
    S = _checks.positive_int(seeds if seeds is not None else (1 if quick else 2), "seeds")
    xi = _checks.positive_float(xi, "xi")
    rng = _checks.positive_int(rng, "rng", minimum=0)
    width = _checks.positive_int(half_width if half_width is not None else max(1, n // 8), "half_width")
    every = _checks.positive_int(record_every if record_every is not None else max(1, T // 50), "record_every")
    if m > n:
        raise ValueError(f"m must be <= n = {n}, got {m}")

    u = triangular(n, width)
    x = smooth_signal(n, p, rng=rng)
    A = gaussian_matrix(m, n, rng=rng + 1)
    y = A @ x
    record = list(range(0, T + 1, every)) + [T]
    K = ks.size
    gap, pgap, move, final = (np.zeros((K, S)) for _ in range(4))
    curves_nl, curves_lin, rec_steps = [], [], None
    for i, k in enumerate(ks):
        gen = TwoLayerGenerator(u, int(k))
        for s in range(S):
            C0 = gen.init(rng=rng + 1000 + s, y=y, xi=xi)
            res = linearization(gen, A, y, C0, record)
            gap[i, s] = res.max_residual_gap
            pgap[i, s] = res.max_parameter_gap
            move[i, s] = res.parameter_distance[-1] / float(np.linalg.norm(np.asarray(C0)))
            final[i, s] = res.residual_norm[-1] / res.r0_norm
            if s == 0 and i in (0, K - 1):
                rec_steps = res.iterations
                curves_nl.append(res.residual_norm / res.r0_norm)
                curves_lin.append(res.linear_residual_norm / res.r0_norm)
    slope, intercept = _fit_slope(ks, gap)
    return Theorem4Result(
        ks=ks, residual_gap=gap, parameter_gap=pgap, relative_movement=move, final_residual=final,
        slope=slope, intercept=intercept,
        parameter_slope=_fit_slope(ks, pgap)[0], movement_slope=_fit_slope(ks, move)[0],
        iterations=np.asarray(rec_steps), curves_nonlinear=np.asarray(curves_nl), curves_linear=np.asarray(curves_lin),
        n=n, m=m, T=T, xi=xi,
    )


def plot(result, path=None):
    """Draw the gap against k on log-log axes with its fitted power law, and the residual curves.

    Returns the :class:`matplotlib.figure.Figure`; saves it to ``path`` if given."""

    r = result
    fig = figure(10.0, 3.8)
    ax1, ax2 = fig.subplots(1, 2)
    ks = r.ks.astype(float)
    med = np.median(r.residual_gap, axis=1)
    for s in range(r.residual_gap.shape[1]):
        ax1.loglog(ks, r.residual_gap[:, s], "o", color="C0", alpha=0.35, ms=4)
    ax1.loglog(ks, med, "o-", color="C0", label=r"$\max_t \|r_t - \tilde r_t\| / \|r_0\|$ (eq. 35)")
    ax1.loglog(ks, np.exp(r.intercept) * ks**r.slope, "--", color="C0", lw=1,
               label=f"fit $\\propto k^{{{r.slope:.2f}}}$")
    ax1.loglog(ks, np.median(r.relative_movement, axis=1), "s-", color="C2", ms=4,
               label=r"$\|\theta_T - \theta_0\| / \|\theta_0\|$" + f" ($k^{{{r.movement_slope:.2f}}}$)")
    ax1.set_xlabel("channels $k$")
    ax1.set_title(f"Theorem 4: linearization gap vs width (n={r.n}, m={r.m}, $\\xi$={r.xi:g})", fontsize=9)
    ax1.legend(fontsize=8)
    labels = (f"k = {int(r.ks[0])}", f"k = {int(r.ks[-1])}")
    for j, lab in enumerate(labels[:len(r.curves_nonlinear)]):
        ax2.semilogy(r.iterations, r.curves_nonlinear[j], "-", color=f"C{j + 3}", label=f"nonlinear $r_t$, {lab}")
        ax2.semilogy(r.iterations, r.curves_linear[j], "--", color=f"C{j + 3}", label=fr"linearized $\tilde r_t$, {lab}")
    ax2.set_xlabel("iteration $t$")
    ax2.set_ylabel(r"$\|r\| / \|r_0\|$")
    ax2.set_title("residuals of GD: network vs its linearization (eq. 39)", fontsize=9)
    ax2.legend(fontsize=8)
    save(fig, path)
    return fig


def checks(result):
    """Theory checks: the linearization gap shrinks with the width k (Theorem 4 via eq. 51)."""
    from ..report import Check
    med = np.median(result.residual_gap, axis=1)
    return [
        Check("Theorem-4 gap: fitted slope of log gap against log k", result.slope, -0.2,
              note="the gap shrinks roughly like k^(-1/2) (Lemma 3: ‖J Jᵀ − Σ‖ ∝ k^(-1/2))"),
        Check("Theorem-4 gap: narrowest k / widest k", float(med[0] / med[-1]), 2.0, relation=">="),
    ]
