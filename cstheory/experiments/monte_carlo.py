"""App. B: Monte-Carlo estimates of Σ(U) = E[J_G J_Gᵀ] converge to the exact matrix like 1/√(draws).

Data first (:func:`run`), plot second (:func:`plot`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from .._repr import compact_repr
from .._backend import asarray, resolve_namespace, to_numpy
from ..kernels import circulant_matrix
from ..spectrum import sigma_matrix, sigma_mc_errors, sigma_weights
from ..plotting import figure, save

__all__ = ["MonteCarloResult", "run", "plot", "checks"]


@compact_repr
@dataclass
class MonteCarloResult:
    """columns : total Gaussian columns S·k per estimate; errors : relative Frobenius errors;
    constant : median of error·√(S·k); eig_error : max |σ² − eig Σ(U)| / max σ² (closed form vs dense)."""

    n: int
    columns: np.ndarray
    errors: np.ndarray
    constant: float
    eig_error: float
    dtype: str = "float64"


def run(quick=False, xp=None, dtype=None, rng=0):
    """Errors of sigma_matrix_mc for an asymmetric random kernel, and closed form vs eigenvalues."""
    quick = _checks.flag(quick, "quick")
    xp = resolve_namespace(xp)
    n = 32 if quick else 64
    u = asarray(np.random.default_rng(rng).standard_normal(n), xp=xp, dtype=dtype)
    U = circulant_matrix(u)
    channels = 64
    samples = np.array([4, 16, 64, 256] if quick else [4, 16, 64, 256, 1024, 4096])
    errors = sigma_mc_errors(U, samples, channels=channels, rng=rng)
    columns = samples * channels
    ev = np.sort(np.linalg.eigvalsh(np.asarray(to_numpy(sigma_matrix(U)), dtype=np.float64)))
    s2 = np.sort(np.asarray(to_numpy(sigma_weights(u)), dtype=np.float64) ** 2)
    return MonteCarloResult(n=n, columns=columns, errors=errors,
                            constant=float(np.median(errors * np.sqrt(columns))),
                            eig_error=float(np.max(np.abs(s2 - ev)) / ev.max()), dtype=str(u.dtype).split(".")[-1])


def plot(result, path=None):
    """Log-log plot of the relative error against S·k with the fitted c/√(S·k) line."""
    fig = figure(5, 4)
    ax = fig.subplots()
    ax.loglog(result.columns, result.errors, "o-", label="Monte-Carlo Σ̂ (sigma_matrix_mc)")
    ax.loglog(result.columns, result.constant / np.sqrt(result.columns), "k--",
              label=f"{result.constant:.2f}/√(S·k)")
    ax.set_xlabel("Gaussian columns drawn, S·k")
    ax.set_ylabel(r"$\|\hat\Sigma - \Sigma\|_F / \|\Sigma\|_F$")
    ax.set_title(f"Σ(U), random asymmetric kernel, n = {result.n}")
    ax.legend()
    save(fig, path)
    return fig


def checks(result):
    """Theory checks: closed form = eigenvalues; Monte-Carlo error ≈ c/√(S·k) with c of order 1."""
    from ..report import Check
    return [
        Check("eq. (11) closed form vs eigenvalues of Σ(U): max |σ² − λ| / max λ", result.eig_error,
              1e-5 if result.dtype == "float32" else 1e-10),
        Check("Monte-Carlo Σ: median error·√(S·k)", result.constant, 3.0,
              note="relative Frobenius error decays like 1/√(draws); measured constant ≈ 1"),
        Check("Monte-Carlo Σ: error at the most draws", float(result.errors[-1]), 0.05),
    ]
