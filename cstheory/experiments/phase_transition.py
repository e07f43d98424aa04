"""Phase transitions: probability of recovery over (m/n, p/n) for three estimators (Theorem 2's O(p)).

For each cell (m, p) and seed: a unit-norm p-smooth signal x* ∈ R^n
(:func:`cstheory.smooth_signal`), Gaussian measurements y = A x* with
A ∈ R^{m×n}, and three reconstructions:

* ``"two-layer"`` — the generator ReLU(UC)v (triangular kernel, k channels)
  fitted by gradient descent from the Theorem-3 start until convergence
  (a fixed, generous number of steps; no early stopping);
* ``"linear"`` — the linear min-norm estimate (eq. 5) with the same spectrum:
  J = W diag(σ), σ = :func:`cstheory.sigma_weights` of the same kernel, so
  J Jᵀ = Σ(U);
* ``"l1-dct"`` — ℓ1 minimisation in the orthonormal DCT basis by FISTA
  (:func:`cstheory.baselines.l1_dct`, its documented λ rule).

A trial counts as a recovery when ‖x̂ − x*‖ / ‖x*‖ < τ (default τ = 0.1).
Cells are evaluated by :func:`cstheory.sweep.run_grid`, on a process pool or
any executor (a Dask cluster included).  Data first (:func:`run`), plot
second (:func:`plot`).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .._repr import compact_repr

METHODS = ("two-layer", "linear", "l1-dct")
#: recovery threshold on the relative error ‖x̂ − x*‖/‖x*‖
TAU = 0.1

__all__ = ["METHODS", "TAU", "PhaseTransitionResult", "recovery_error", "config", "run", "summarize", "plot",
           "checks"]


def config(quick=False):
    """Sizes of the sweep: n, the grid of m and p, seeds, channels k, kernel half-width, GD steps."""
    if quick:
        n = 64
        return dict(n=n, ms=[4, 8, 12, 16, 24, 32, 48], ps=[1, 3, 5, 8, 12], seeds=[0, 1],
                    k=64, half_width=8, steps=1500)
    n = 128
    return dict(n=n, ms=[4, 8, 12, 16, 24, 32, 48, 64, 96, 128], ps=[1, 3, 5, 8, 12, 16, 24, 32],
                seeds=[0, 1, 2, 3], k=128, half_width=12, steps=3000)


def recovery_error(method, m, p, seed, n=64, k=64, half_width=8, steps=1500):
    """Relative error ‖x̂ − x*‖/‖x*‖ of one method on one draw (picklable: runs in sweep workers)."""
    import cstheory as cst
    from cstheory import baselines
    from cstheory._backend import as_generator

    rng = as_generator(seed * 1_000_003 + 7919 * m + p)
    x = cst.smooth_signal(n, p, rng=rng)
    A = cst.gaussian_matrix(m, n, rng=rng)
    y = A @ x
    u = cst.kernels.triangular(n, half_width)
    if method == "two-layer":
        gen = cst.TwoLayerGenerator(u, k)
        x_hat = cst.fit(gen, A, y, steps=steps, record_every=steps, rng=rng).signal
    elif method == "linear":
        J = cst.trig_basis(n) * cst.sigma_weights(u)[None, :]
        x_hat = J @ cst.min_norm_coefficients(A, J, y)
    elif method == "l1-dct":
        x_hat = baselines.l1_dct(A, y, shape=(1, n), steps=2000).image.reshape(-1)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return float(np.linalg.norm(x_hat - x) / np.linalg.norm(x))


@compact_repr
@dataclass
class PhaseTransitionResult:
    """probability[method] : (len(ps), len(ms)) fraction of seeds with relative error < tau;
    median_error[method] : same shape, median relative error; failures : rows that raised."""

    n: int
    ms: np.ndarray
    ps: np.ndarray
    tau: float
    probability: dict
    median_error: dict
    failures: list
    seconds: float


def run(quick=False, executor=None, out=None, workers=None, tau=TAU, progress=False):
    """Sweep (method, m, p) × seeds with :func:`cstheory.sweep.run_grid`; aggregate recovery rates."""
    quick = _checks.flag(quick, "quick")
    import time

    from ..sweep import run_grid

    cfg = config(quick)
    experiment = functools.partial(recovery_error, n=cfg["n"], k=cfg["k"], half_width=cfg["half_width"],
                                   steps=cfg["steps"])
    grid = {"method": list(METHODS), "m": cfg["ms"], "p": cfg["ps"]}
    start = time.perf_counter()
    table = run_grid(experiment, grid, cfg["seeds"], executor=executor, out=out, progress=progress,
                     max_workers=workers)
    result = summarize(table.rows, cfg["ms"], cfg["ps"], cfg["n"], tau=tau, methods=METHODS)
    result.failures = table.failures
    result.seconds = time.perf_counter() - start
    return result


def summarize(rows, ms, ps, n, tau=TAU, methods=None):
    """Aggregate sweep rows (dicts with method, m, p, error, status) into a :class:`PhaseTransitionResult`.

    Cell (p, m) of ``probability[method]`` is the fraction of the rows with status "ok" whose relative
    error is below ``tau`` (NaN where there is none), ``median_error`` their median.  ``methods``
    defaults to those present in ``rows``, in order of appearance.
    """
    if methods is None:
        methods = list(dict.fromkeys(r["method"] for r in rows))
    ms, ps = np.asarray(ms), np.asarray(ps)
    prob, med = {}, {}
    for method in methods:
        P = np.full((ps.size, ms.size), np.nan)
        E = np.full((ps.size, ms.size), np.nan)
        for a, p in enumerate(ps):
            for b, m in enumerate(ms):
                errs = [r["error"] for r in rows
                        if r["method"] == method and r["m"] == m and r["p"] == p and r.get("status") == "ok"]
                if errs:
                    P[a, b] = np.mean(np.asarray(errs) < tau)
                    E[a, b] = np.median(errs)
        prob[method], med[method] = P, E
    failures = [r for r in rows if r.get("status") not in (None, "ok")]
    return PhaseTransitionResult(n=int(n), ms=ms, ps=ps, tau=tau, probability=prob, median_error=med,
                                 failures=failures, seconds=float("nan"))


def measurements_needed(result, method, level=0.5):
    """For each p, the smallest m whose recovery probability reaches ``level`` (NaN if none)."""
    P = result.probability[method]
    out = np.full(result.ps.size, np.nan)
    for a in range(result.ps.size):
        ok = np.nonzero(P[a] >= level)[0]
        if ok.size:
            out[a] = result.ms[ok[0]]
    return out


def _cell_edges(values):
    """Edges of cells centred on increasing positive ``values``, at geometric midpoints (log axes)."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return np.array([v[0] / 1.5, v[0] * 1.5])
    mid = np.sqrt(v[1:] * v[:-1])
    return np.concatenate([[v[0] ** 2 / mid[0]], mid, [v[-1] ** 2 / mid[-1]]])


def plot(result, path=None):
    """Heat maps of the recovery probability for each method of the result, with the line m = 3p of Theorem 2."""
    from ..plotting import figure, save

    methods = list(result.probability)
    fig = figure(4.2 * len(methods), 3.8)
    axes = fig.subplots(1, len(methods), sharey=True, squeeze=False)[0]
    n = result.n
    # cells drawn at their true m/n and p/n (edges half-way between grid values, log scale), so that the
    # line m = 3p of Theorem 2 is straight however unevenly the grid is spaced
    xe, ye = _cell_edges(result.ms / n), _cell_edges(result.ps / n)
    for ax, method in zip(axes, methods):
        im = ax.pcolormesh(xe, ye, result.probability[method], vmin=0, vmax=1, cmap="viridis")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
        # the O(p) line m = 3p (x* ∈ span(w_1 … w_{m/3}), Sec. 4)
        ax.plot(3 * ye, ye, "w--", label="m = 3p")
        ax.set_xlabel("m / n")
        ax.set_title(method)
    axes[0].set_ylabel("p / n")
    axes[0].legend(loc="upper left", fontsize=7)
    fig.colorbar(im, ax=axes, label=f"P(‖x̂ − x*‖/‖x*‖ < {result.tau})")
    fig.suptitle(f"Phase transitions, n = {n}")
    save(fig, path)
    return fig


def checks(result):
    """O(p) measurements suffice: for the two-layer generator, m needed grows at most linearly in p.

    Fits m_needed ≈ a + b p over the p for which the grid reaches m = 8p (a p whose
    recovery never reaches 50 % there counts as m = ∞ and fails the check)."""
    from ..report import Check
    need = measurements_needed(result, "two-layer")
    judged = 8 * result.ps <= result.ms.max()
    ps, need = result.ps[judged], need[judged]
    if ps.size < 2 or np.any(np.isnan(need)):
        slope = math.inf
    else:
        slope = float(np.polyfit(ps, need, 1)[0])
    return [
        Check("two-layer: slope b of m_needed ≈ a + b·p (50 % recovery)", slope, 6.0,
              note="Theorem 2: O(p) measurements suffice for a p-smooth signal"),
        Check("cells that raised", float(len(result.failures)), 0.0),
    ]
