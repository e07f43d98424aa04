"""How many measurements a smooth 1-D signal needs: recovery error against m (Theorem 2, Sec. 3–4).

For p-smooth signals x* (unit norm, in the span of the p lowest-frequency w_i)
and m Gaussian measurements y = A x*, three numbers per draw:

* the two-layer generator G(C) = ReLU(UC)v fitted by gradient descent from
  Theorem 3's start until the loss has (nearly) converged — no early stopping;
* the linear min-norm estimate x̂ = J_G ĉ, ĉ = argmin ‖c‖ s.t. A J_G c = y
  (eq. 5), with the generator J_G = W diag(σ), W = trig_basis, σ =
  sigma_weights(u): the linear generator "with the same spectrum", since
  J_G J_Gᵀ = W diag(σ²) Wᵀ = Σ(U) (App. B) — the generator Theorem 3's proof
  compares the network with;
* the right-hand side of eq. (13) without C (:func:`cstheory.theorem2_bound`,
  ξ = 0).

The error falls steeply once m exceeds a small multiple of p, and the
threshold moves proportionally with p: O(p) measurements suffice.
``m_needed`` records, for each p, the smallest m whose median squared error
is below ``target``.

Measured with ``run()`` (n = 128, k = 128, kernel width 16, 2000 GD steps, 2 draws;
37–93 s on 2 shared CPU cores), median ‖x̂ − x*‖² for m = 4, 8, 12, 16, 24, 32, 48:

* p = 4: two-layer 0.61, 0.062, 0.016, 7.4e-4, 7.5e-5, 1.6e-5, 1.2e-5;
  linear 0.65, 0.10, 0.061, 6.3e-3, 2.1e-3, 5.9e-4, 1.0e-4
* p = 8: two-layer 0.18, 0.19, 0.085, 0.017, 1.1e-3, 5.7e-4, 4.8e-5;
  linear 0.28, 0.22, 0.15, 0.044, 4.7e-3, 3.3e-3, 1.3e-4
* eq. (13) without C: 5.8 … 0.20 (p = 4), 6.4 … 0.28 (p = 8); the largest
  error/bound ratio is 0.14.

Error ≤ 1e-2 from m = 16 (p = 4) and m = 24 (p = 8) for both estimators; the
network's error is 1.7–37× below its linear counterpart's once m ≥ 2p.
``run(quick=True)`` (n = 64, p = 4, ~1–3 s): 0.31, 0.021, 3.4e-3, 6.8e-5 at
m = 4, 8, 16, 32.

Data first, plot second::

    from cstheory.experiments import measurements
    result = measurements.run(quick=True)
    measurements.plot(result, "measurements.png")
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._repr import compact_repr
from .. import _checks
from .._backend import to_numpy
from ..bounds import theorem2_bound
from ..fit import fit
from ..kernels import triangular
from ..linear import min_norm_coefficients
from ..operators import gaussian_matrix
from ..signals import smooth_signal, trig_basis
from ..spectrum import sigma_weights
from ..two_layer import TwoLayerGenerator
from ..plotting import figure, save

__all__ = ["MeasurementsResult", "run", "plot", "checks"]


@compact_repr
@dataclass
class MeasurementsResult:
    """Data of the measurements experiment; arrays are indexed [p, m, trial].

    Attributes
    ----------
    ps : numpy.ndarray (P,)
        Smoothness levels p.
    ms : numpy.ndarray (M,)
        Numbers of measurements m.
    error_two_layer : numpy.ndarray (P, M, R)
        ‖G(C_T) − x*‖² after T GD steps (‖x*‖ = 1, so this is the relative squared error).
    error_linear : numpy.ndarray (P, M, R)
        ‖x̂ − x*‖² of the linear min-norm estimate with J_G = W diag(σ).
    bound : numpy.ndarray (P, M, R)
        Right-hand side of eq. (13) without C, ξ = 0 (:func:`cstheory.theorem2_bound`).
    final_loss : numpy.ndarray (P, M, R)
        Last loss over first loss of the GD run (how converged it is).
    m_needed_two_layer, m_needed_linear : numpy.ndarray (P,)
        Smallest m whose median error is below ``target`` (−1 if none).
    target : float
    n, k, steps, half_width : int
    """

    ps: np.ndarray
    ms: np.ndarray
    error_two_layer: np.ndarray
    error_linear: np.ndarray
    bound: np.ndarray
    final_loss: np.ndarray
    m_needed_two_layer: np.ndarray
    m_needed_linear: np.ndarray
    target: float
    n: int
    k: int
    steps: int
    half_width: int


def _m_needed(ms, err, target):
    med = np.median(err, axis=-1)                  # (P, M)
    out = np.full(med.shape[0], -1, dtype=np.int64)
    for i, row in enumerate(med):
        hit = np.nonzero(row <= target)[0]
        if hit.size:
            out[i] = ms[hit[0]]
    return out


def run(quick=False, n=None, ps=None, ms=None, k=None, steps=None, trials=None, half_width=None,
        target=1e-2, rng=0):
    """Recovery error against m for p-smooth signals (no drawing).

    Parameters
    ----------
    quick : bool
        Small sizes (n = 64, k = 64, p = 4, m ∈ {4, 8, 16, 32}, 1000 steps, 1 trial).
    n : int
        Signal length (full: 128).
    ps : sequence of int
        Smoothness levels (full: 4, 8).
    ms : sequence of int
        Numbers of measurements (full: 4, 8, 12, 16, 24, 32, 48).
    k : int
        Channels of the two-layer generator (full: 128).
    steps : int
        GD steps (full: 2000; the loss drops by 1e4–1e6, i.e. GD has converged to plotting accuracy).
    trials : int
        Independent draws of (x*, A, C₀) per (p, m) (full: 2).
    half_width : int
        Triangular kernel ``kernels.triangular(n, half_width)`` (default n // 8).
    target : float
        Squared-error level for ``m_needed``.
    rng : int
        Base seed.
    """
    quick = _checks.flag(quick, "quick")
    n = _checks.positive_int(n if n is not None else (64 if quick else 128), "n")
    ps = np.asarray([_checks.positive_int(p, "each entry of ps") for p in
                     (ps if ps is not None else ((4,) if quick else (4, 8)))], dtype=np.int64)
    ms = np.asarray([_checks.positive_int(m, "each entry of ms") for m in
                     (ms if ms is not None else ((4, 8, 16, 32) if quick else (4, 8, 12, 16, 24, 32, 48)))],
                    dtype=np.int64)
    k = _checks.positive_int(k if k is not None else (64 if quick else 128), "k", minimum=2)
    T = _checks.positive_int(steps if steps is not None else (1000 if quick else 2000), "steps")
    R = _checks.positive_int(trials if trials is not None else (1 if quick else 2), "trials")
    width = _checks.positive_int(half_width if half_width is not None else max(1, n // 8), "half_width")
    target = _checks.positive_float(target, "target")
    rng = _checks.positive_int(rng, "rng", minimum=0)
    if ps.size == 0 or ms.size == 0:
        raise ValueError("ps and ms must be non-empty")
    if np.any(ps > n) or np.any(ms > n):
        raise ValueError(f"every p and every m must be <= n = {n}")

    u = triangular(n, width)
    gen = TwoLayerGenerator(u, k)
    J_G = trig_basis(n) * sigma_weights(u)[None, :]            # W diag(σ): J_G J_Gᵀ = Σ(U)
    shape = (ps.size, ms.size, R)
    e2, el, bd, fl = (np.zeros(shape) for _ in range(4))
    for a, p in enumerate(ps):
        for b, m in enumerate(ms):
            for r in range(R):
                seed = rng + 10_000 * a + 100 * b + r
                x = smooth_signal(n, int(p), rng=seed)
                A = gaussian_matrix(int(m), n, rng=seed + 1)
                y = A @ x
                res = fit(gen, A, y, steps=T, x_true=x, record_every=T, rng=seed + 2)
                e2[a, b, r] = res.error[-1]
                fl[a, b, r] = res.loss[-1] / res.loss[0]
                x_lin = J_G @ min_norm_coefficients(A, J_G, y)
                el[a, b, r] = float(np.sum(to_numpy(x_lin - x) ** 2))
                bd[a, b, r] = theorem2_bound(u, x, int(m))
    return MeasurementsResult(
        ps=ps, ms=ms, error_two_layer=e2, error_linear=el, bound=bd, final_loss=fl,
        m_needed_two_layer=_m_needed(ms, e2, target), m_needed_linear=_m_needed(ms, el, target),
        target=target, n=n, k=k, steps=T, half_width=width,
    )


def plot(result, path=None):
    """Draw the median recovery errors and the Theorem-2 bound against m (and against m/p).

    Returns the :class:`matplotlib.figure.Figure`; saves it to ``path`` if given."""

    r = result
    fig = figure(10.0, 3.8)
    ax1, ax2 = fig.subplots(1, 2)
    for a, p in enumerate(r.ps):
        c = f"C{a}"
        ax1.semilogy(r.ms, np.median(r.error_two_layer[a], axis=-1), "o-", color=c, label=f"two-layer GD, p = {p}")
        ax1.semilogy(r.ms, np.median(r.error_linear[a], axis=-1), "s--", color=c, ms=4,
                     label=f"linear min-norm (same spectrum), p = {p}")
        ax1.semilogy(r.ms, np.median(r.bound[a], axis=-1), ":", color=c, label=f"eq. (13) RHS without C, p = {p}")
        ax2.semilogy(r.ms / p, np.median(r.error_two_layer[a], axis=-1), "o-", color=c, label=f"two-layer, p = {p}")
        ax2.semilogy(r.ms / p, np.median(r.error_linear[a], axis=-1), "s--", color=c, ms=4, label=f"linear, p = {p}")
    ax1.axhline(r.target, color="0.6", lw=0.8)
    ax1.set_xlabel("measurements $m$")
    ax1.set_ylabel(r"$\|\hat x - x^*\|^2$ (median)")
    ax1.set_title(f"recovery of p-smooth signals, n = {r.n}, k = {r.k}, {r.steps} GD steps", fontsize=9)
    ax1.legend(fontsize=7)
    ax2.set_xlabel("$m / p$")
    ax2.set_title("the same against m/p: the curves line up, O(p) measurements suffice", fontsize=9)
    ax2.legend(fontsize=7)
    save(fig, path)
    return fig


def checks(result):
    """Theory checks: errors stay below the eq.-(13) RHS; enough measurements give small errors."""
    from ..report import Check
    ratio = float(np.max(result.error_two_layer / result.bound))
    best = float(np.min(np.median(result.error_two_layer[:, -1, :], axis=-1)))
    worst_final = float(np.max(np.median(result.error_two_layer[:, -1, :], axis=-1)))
    return [
        Check("two-layer: max ‖x̂ − x*‖² / eq. (13) RHS (C = 1, ξ = 0)", ratio, 1.0,
              note="Theorem 2 bounds the error by C times this right-hand side"),
        Check("two-layer: median error at the largest m, worst p", worst_final, 1e-2),
        Check("two-layer: smallest median error at the largest m", best, 1e-3),
    ]
